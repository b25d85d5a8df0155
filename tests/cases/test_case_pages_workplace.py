"""The case pages as the workplace (issue 12): codes as words in both languages, times and money one way,
the list's paging, sorting and filters, errors inside the page, forms by role, a second submit acting once."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.cases.test_case_world import MERCHANT_A, TERMINAL_A, Finding, add_sale, overcharge_case, save
from tests.support.factories import World
from tests.support.web_login import log_in

from recoup.cases.models import Case, CaseEvent
from recoup.recovery.models import RecoveryAction

UPPER_CODE = re.compile(r"\b[A-Z]{2,}(?:_[A-Z0-9]+)+\b")
LOWER_CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")
ENGLISH_RUN = re.compile(r"\b[A-Za-z]{2,}(?:[ ,'-]+[A-Za-z]{2,})+\b")  # two English words in a row


def visible_text(page: str) -> str:
    """What a person reads: the page without tags, scripts, attributes and the header's user name."""
    body = page.split("<main>", 1)[1] if "<main>" in page else page
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def words_problems(text: str, locale: str) -> list[str]:
    found = UPPER_CODE.findall(text) + LOWER_CODE.findall(text)
    if locale == "zh_CN":
        found += ENGLISH_RUN.findall(text)
    return found


def _worked_case(world: World, client: TestClient, csrf: str) -> str:
    """An OVERCHARGE · EXTRA_DIGIT case with a refund instructed and a note."""
    number = overcharge_case(world, fund_minor=500000)
    page = client.get(f"/cases/{number}").text
    key = page.split('name="idempotency_key" value="')[1].split('"')[0]
    answer = client.post(f"/cases/{number}/actions", data={"csrf_token": csrf, "kind": "REFUND", "amount": "1,152.00元",
                                                            "idempotency_key": key, "funding": "transfer"},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text
    client.post(f"/cases/{number}/notes", data={"csrf_token": csrf, "text": "顾客已来电"})
    return number


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_case_list_and_page_show_words_not_codes(world: World, client: TestClient, locale: str) -> None:
    csrf = log_in(client, "a-merchant_finance", locale)
    number = _worked_case(world, client, csrf)
    for address in ("/cases", f"/cases/{number}"):
        page = client.get(address)
        assert page.status_code == 200
        text = visible_text(page.text).replace("a-merchant_finance", "").replace("test finding", "")
        assert words_problems(text, locale) == [], (address, words_problems(text, locale))
    detail = visible_text(client.get(f"/cases/{number}").text)
    expected = {"zh_CN": ["多收", "多输一位", "商户应退持卡人", "退货", "已指示", "顾客已来电"],
                "en": ["Overcharge", "an extra digit", "Merchant owes the payer", "Refund", "Instructed", "顾客已来电"]}
    for words in expected[locale]:
        assert words in detail, words
    assert "¥1,280.00" in detail
    assert "¥1,152.00" in detail
    assert "CNY" not in detail
    assert "CN¥" not in detail
    assert "(UTC+8)" in detail  # times in the merchant's zone, labelled


def test_refund_form_is_prefilled_and_says_what_happens_next(world: World, client: TestClient) -> None:
    csrf = log_in(client, "a-merchant_finance", "en")
    number = overcharge_case(world, fund_minor=500000)
    page = client.get(f"/cases/{number}").text
    assert 'value="1152.00" data-testid="action-amount"' in page  # the amount at stake, ready to send
    assert '<option value="CREDIT">Credit: money back to the cardholder (adjustment)</option>' in page
    key = page.split('name="idempotency_key" value="')[1].split('"')[0]
    form = {"csrf_token": csrf, "kind": "REFUND", "amount": "1152.00", "idempotency_key": key}
    first = client.post(f"/cases/{number}/actions", data=form)
    assert "Refund instructed; the money is seen when the settlement file shows it." in first.text
    again = client.post(f"/cases/{number}/actions", data=form)  # a double click: the same key
    assert "This form was already sent; nothing was done twice." in again.text
    assert "Refund instructed" in again.text
    with world.database.unit_of_work() as session:
        assert session.execute(select(func.count()).select_from(RecoveryAction)).scalar_one() == 1


def test_a_refused_form_keeps_what_was_typed_beside_the_error(world: World, client: TestClient) -> None:
    csrf = log_in(client, "a-merchant_finance", "zh_CN")
    number = overcharge_case(world)
    page = client.get(f"/cases/{number}").text
    key = page.split('name="idempotency_key" value="')[1].split('"')[0]
    refused = client.post(f"/cases/{number}/actions", data={"csrf_token": csrf, "kind": "REFUND", "amount": "两千",
                                                             "idempotency_key": key, "note": "客户来电"})
    assert refused.status_code == 422
    assert "请用数字填写金额" in refused.text  # the reason in the user's language, beside the form
    assert 'value="两千"' in refused.text
    assert 'value="客户来电"' in refused.text
    assert 'href="/cases"' in refused.text  # the menu stays
    too_much = client.post(f"/cases/{number}/actions", data={"csrf_token": csrf, "kind": "REFUND",
                                                              "amount": "999,999.00", "idempotency_key": key + "x"})
    assert too_much.status_code in (409, 422)
    assert 'data-testid="form-error"' in too_much.text
    assert 'value="999,999.00"' in too_much.text
    with world.database.unit_of_work() as session:
        assert session.execute(select(func.count()).select_from(RecoveryAction)).scalar_one() == 0


def test_opening_a_case_twice_links_to_the_existing_case(world: World, client: TestClient) -> None:
    csrf = log_in(client, "a-merchant_finance", "zh_CN")
    number = overcharge_case(world)
    answer = client.post("/cases", data={"csrf_token": csrf, "rrn": "400000000001", "amount": "￥1152"})
    assert answer.status_code == 409
    assert f"交易 400000000001 已有案件 {number}" in answer.text
    assert f'href="/cases/{number}"' in answer.text
    assert 'href="/terminals"' in answer.text


@pytest.mark.parametrize("role", ["a-auditor", "a-cashier"])
def test_forms_a_role_cannot_use_are_not_shown(world: World, client: TestClient, role: str) -> None:
    log_in(client, role, "en")
    number = overcharge_case(world)
    page = client.get(f"/cases/{number}").text
    assert 'data-testid="action-form"' not in page  # no refund for the cashier nor the auditor
    assert ('action="/cases/' + number + '/notes"' in page) == (role == "a-cashier")


def test_case_list_pages_sorts_and_filters_in_words(world: World, client: TestClient) -> None:
    log_in(client, "a-admin", "zh_CN")
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        for index in range(53):
            add_sale(session, tenant_id, f"7000000000{index:02d}", 1000 + index)
    save(world, [Finding("OVERCHARGE" if i % 2 else "UNDERCHARGE", MERCHANT_A, f"7000000000{i:02d}", 1000 + i, 900)
                 for i in range(53)])
    first = client.get("/cases?sort=at_stake")
    assert "共 53 个" in first.text
    assert first.text.count('<tr><td data-label=') == 50
    assert "第 1 页，共 2 页" in first.text
    assert "/cases?sort=at_stake&amp;page=2" in first.text
    second = client.get("/cases?sort=at_stake&page=2")
    assert second.text.count('<tr><td data-label=') == 3
    assert "¥1.52" in second.text
    assert '<option value="OVERCHARGE" >多收</option>' in first.text  # the kind chosen in words
    overcharges = client.get("/cases?kind=OVERCHARGE")
    assert "共 26 个" in overcharges.text
    one = client.get("/cases?rrn=700000000007")
    assert "共 1 个" in one.text
    assert "共 0 个" in client.get("/cases?opened_from=2000-01-01&opened_to=2000-01-02").text
    with world.database.unit_of_work() as session:
        assert session.execute(select(func.count()).select_from(Case)).scalar_one() == 53
        assert session.execute(select(func.count()).select_from(CaseEvent)).scalar_one() >= 53


def test_a_missing_case_is_answered_inside_the_layout_in_the_users_language(world: World, client: TestClient) -> None:
    log_in(client, "a-merchant_finance", "zh_CN")
    answer = client.get("/cases/RC-2026-999999")
    assert answer.status_code == 404
    assert "没有案件 RC-2026-999999" in answer.text
    assert 'href="/cases"' in answer.text  # the menu stays
    assert "a-merchant_finance · 商户财务" in answer.text


def test_terminal_stop_needs_a_reason_and_shows_who_when_why(world: World, client: TestClient) -> None:
    csrf = log_in(client, "a-cashier", "zh_CN")
    page = client.get(f"/terminals/{TERMINAL_A}").text
    assert 'data-confirm="现在停用终端' in page
    empty = client.post(f"/terminals/{TERMINAL_A}/stop", data={"csrf_token": csrf, "reason": "  "})
    assert empty.status_code == 422
    assert "必须填写原因" in empty.text
    assert 'data-testid="stop-form"' in empty.text  # the form is still there, with the menu
    stopped = client.post(f"/terminals/{TERMINAL_A}/stop", data={"csrf_token": csrf, "reason": "刷了2120元"})
    assert "终端已停用" in stopped.text
    assert 'data-testid="stopped-by">a-cashier<' in stopped.text
    assert "刷了2120元" in stopped.text
    assert "(UTC+8)" in stopped.text
    assert 'data-testid="restart-form"' not in stopped.text  # a cashier may not restart: no form offered


def test_the_auditor_sees_no_terminal_form(world: World, client: TestClient) -> None:
    log_in(client, "a-auditor", "en")
    page = client.get(f"/terminals/{TERMINAL_A}").text
    assert "<form method=\"post\" action=\"/terminals" not in page


def test_a_form_the_auditor_is_not_shown_says_why_it_was_refused(world: World, client: TestClient) -> None:
    number = overcharge_case(world)
    csrf = log_in(client, "a-auditor", "zh_CN")
    refused = client.post(f"/cases/{number}/notes", data={"csrf_token": csrf, "text": "试一下"})
    assert refused.status_code == 403
    said = refused.text.split('data-testid="refused-message">')[1].split("<")[0]
    assert "审计" in said  # the role's refusal, in the user's language, at the top of the page
    assert 'action="/cases/' not in refused.text  # still no form the auditor cannot use
    with world.database.unit_of_work() as session:
        assert session.execute(select(func.count()).select_from(CaseEvent).where(CaseEvent.event == "note")
                               ).scalar_one() == 0
