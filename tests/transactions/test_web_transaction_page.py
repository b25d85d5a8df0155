"""The transaction page (issue 12): the findings and cases that name the transaction, its order found through
the finding, one case per transaction (a second one refused inside the page, linking to the first), in both
languages, within the caller's scope."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.cases.test_case_pages_workplace import log_in, visible_text, words_problems
from tests.cases.test_case_world import MERCHANT_A, WHEN, Finding, add_sale, principal, save
from tests.support.factories import World

from recoup.cases.models import Case
from recoup.errors import NotFound
from recoup.transactions.models import Order
from recoup.transactions.service import journal_detail, settlement_detail
from recoup.web.i18n import explained

RRN = "400000000001"
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the service tests run on both
EXPLAINED = ("收银员可能多输了一个0:订单金额 128.00 元,实际扣款 1,280.00 元 / The cashier probably typed an extra 0: "
             "the order was CNY 128.00, the card was charged CNY 1,280.00 [UnionPay 4507; Visa 12.5]")


def _overcharge(world: World, *, journal_order: str = "NO-1", with_order: bool = False) -> tuple[int, int, str]:
    """A settled sale of 1280.00 whose finding names order NO-1 of 128.00: (journal id, settlement id, case)."""
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        sale = add_sale(session, tenant_id, RRN, 128000, order_no=journal_order)
        if with_order:
            session.add(Order(tenant_id=tenant_id, order_no="NO-1", merchant_id=MERCHANT_A, created_at=WHEN,
                              local_date=date(2026, 10, 12), expected_minor=12800, currency="CNY"))
        journal_id = sale.id
    report = save(world, [Finding("OVERCHARGE", MERCHANT_A, RRN, 128000, 12800, order_no="NO-1", cause="EXTRA_DIGIT",
                                  explanation=EXPLAINED, reason_codes=("UnionPay 4507", "Visa 12.5"))])
    with world.database.unit_of_work() as session:
        from recoup.transactions.models import SettlementLine

        settlement_id = session.execute(select(SettlementLine.id).where(SettlementLine.rrn == RRN)).scalar_one()
    return journal_id, settlement_id, report.cases[0]


def test_the_detail_carries_the_finding_the_case_and_the_order_the_finding_names(world: World) -> None:
    journal_id, settlement_id, number = _overcharge(world, journal_order="", with_order=True)
    with world.database.unit_of_work() as session:
        finance = principal(world.database, "a-merchant_finance")
        detail = journal_detail(session, finance, journal_id)
        assert [(f.kind, f.cause, stake) for f, stake in detail.findings] == [("OVERCHARGE", "EXTRA_DIGIT", 115200)]
        assert [c.number for c in detail.cases] == [number]
        assert detail.claimed_by is not None
        assert detail.claimed_by.number == number
        assert detail.order is not None
        assert detail.order["order_no"] == "NO-1"  # the journal line names no order
        assert detail.merchant_name == "商户A"
        from_settlement = settlement_detail(session, finance, settlement_id)
        assert [c.number for c in from_settlement.cases] == [number]
        assert len(from_settlement.findings) == 1
        with pytest.raises(NotFound):
            journal_detail(session, principal(world.database, "b-admin"), journal_id)


def test_a_transaction_without_finding_or_order_says_so(world: World) -> None:
    with world.database.unit_of_work() as session:
        journal_id = add_sale(session, world.tenants["A"].id, "400000000002", 5000, order_no="NO-9").id
    save(world, [Finding("UNPAID_ORDER", MERCHANT_A, None, 0, 8800, order_no="NO-8", terminal_id=None)])
    with world.database.unit_of_work() as session:
        detail = journal_detail(session, principal(world.database, "a-admin"), journal_id)
    assert (detail.findings, detail.cases, detail.claimed_by) == ([], [], None)  # another order's finding: not this
    assert (detail.order, detail.order_named) == (None, "NO-9")


def test_the_explanation_shows_the_users_language_and_labels_the_reason_codes() -> None:
    chinese = explained(EXPLAINED, "zh_CN")
    assert chinese.mine.startswith("收银员可能多输了一个0")
    assert chinese.other.startswith("The cashier probably typed an extra 0")
    assert list(chinese.codes) == ["银联 原因码 4507", "Visa 原因码 12.5"]
    english = explained(EXPLAINED, "en")
    assert english.mine.endswith("the card was charged CNY 1,280.00")
    assert list(english.codes) == ["UnionPay reason code 4507", "Visa reason code 12.5"]
    assert explained("only one language", "en").mine == "only one language"


@SQLITE_ONLY
@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_page_shows_the_finding_and_the_case_in_words(world: World, client: TestClient, locale: str) -> None:
    log_in(client, "a-merchant_finance", locale)
    journal_id, _, number = _overcharge(world)
    page = client.get(f"/transactions/{journal_id}")
    assert page.status_code == 200
    shown = page.text.split('<details class="other-language">')[0] + page.text.split("</details>", 1)[-1]
    text = " ".join(visible_text(shown).split())  # (the explanation in the other language is a click away)
    expected = {"zh_CN": ["多收 · 多输一位", "收银员可能多输了一个0", "银联 原因码 4507",
                          f"案件 {number} 已在跟进此交易", "消费", "成功", "差错发现指向订单 NO-1"],
                "en": ["Overcharge · an extra digit", "The cashier probably typed an extra 0",
                       "UnionPay reason code 4507", f"Case {number} already follows this transaction", "Sale",
                       "Approved", "The finding names order NO-1"]}
    for words in expected[locale]:
        assert words in text, words
    assert "¥1,152.00" in text  # the amount at stake
    assert "¥1,280.00" in text
    assert "2026-10-12 10:30 (UTC+8)" in text  # the merchant's zone, labelled
    assert "622848******1234" in text
    assert f'href="/findings?rrn={RRN}"' in page.text
    assert f'href="/cases/{number}"' in page.text
    assert f'action="/cases/{number}/notes"' in page.text  # a note to the existing case instead of a new case
    assert 'data-testid="open-case"' not in page.text
    assert "No linked order" not in text
    assert "没有关联订单" not in text
    problems = words_problems(text.replace("a-merchant_finance", ""), locale)
    assert problems == [], problems


def test_a_second_case_for_the_transaction_is_refused_inside_its_page(world: World, client: TestClient) -> None:
    csrf = log_in(client, "a-merchant_finance", "zh_CN")
    journal_id, _, number = _overcharge(world)
    answer = client.post("/cases", data={"csrf_token": csrf, "rrn": RRN, "merchant_id": MERCHANT_A,
                                         "summary": "顾客来电", "back": "transaction"})
    assert answer.status_code == 409
    assert f"交易 {RRN} 已有案件 {number}" in answer.text  # translated, beside the form
    assert f'data-testid="open-error-case">前往案件 {number}' in answer.text
    assert 'data-testid="journal-line"' in answer.text  # the transaction page again, its menu too
    assert 'href="/cases"' in answer.text
    assert "顾客来电" in answer.text  # what was typed is offered as the note
    with world.database.unit_of_work() as session:
        assert session.execute(select(func.count()).select_from(Case)).scalar_one() == 1
    assert client.get(f"/transactions/{journal_id}").status_code == 200


@SQLITE_ONLY
def test_opening_a_case_from_the_page_and_who_sees_the_form(world: World, client: TestClient) -> None:
    with world.database.unit_of_work() as session:
        journal_id = add_sale(session, world.tenants["A"].id, "400000000003", 212000).id
    log_in(client, "a-auditor", "zh_CN")
    assert 'data-testid="open-case"' not in client.get(f"/transactions/{journal_id}").text
    client.post("/logout", data={"csrf_token": client.get("/").text.split('name="csrf_token" value="')[1][:200]
                                 .split('"')[0]})
    csrf = log_in(client, "a-cashier", "zh_CN")
    page = client.get(f"/transactions/{journal_id}").text
    assert "为此交易立案" in page
    assert "尚无案件跟进此交易" in page
    form = page.split('data-testid="open-case"')[1].split("</form>")[0]
    fields = dict(part.split('" value="') for part in form.split('name="')[1:5])
    opened = client.post("/cases", data={"csrf_token": csrf, **{k: v.split('"')[0] for k, v in fields.items()},
                                         "summary": "刷了2120元"}, follow_redirects=False)
    assert opened.status_code == 303
    number = opened.headers["location"].split("/cases/")[1].split("?")[0]
    again = client.get(f"/transactions/{journal_id}").text
    assert f'href="/cases/{number}"' in again
    assert "为此交易立案" not in again
