"""The transaction search page (issue 12): pages of 50 with a total, sorting by a shown column, filters a person
knows (last four, merchant name, the merchant's days, the amount charged as typed), errors beside their field
with what was typed kept, in both languages; and the search service's page and count on both engines."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from tests.cases.test_case_pages_workplace import log_in, visible_text
from tests.cases.test_case_world import MERCHANT_A, TERMINAL_A, principal
from tests.support.factories import World

from recoup.merchants.models import Merchant, Terminal
from recoup.transactions.models import JournalLine
from recoup.transactions.search import build_filters
from recoup.transactions.service import search_page_rows
from recoup.transactions.web_search import read_search

SHOP, SHOP_TERMINAL = "898301054119999", "61029999"
START = datetime(2026, 11, 19, 16, 0, tzinfo=UTC)  # 2026-11-20 00:00 in Shanghai
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _line(tenant_id: int, index: int, amount_minor: int, *, merchant: str = MERCHANT_A, terminal: str = TERMINAL_A,
          last4: str = "1234", day_offset: int = 0) -> JournalLine:
    moment = START + timedelta(days=day_offset, minutes=index)
    return JournalLine(tenant_id=tenant_id, merchant_id=merchant, terminal_id=terminal, txn_time=moment,
                       local_date=date(2026, 11, 20) + timedelta(days=day_offset), txn_type="SALE",
                       status="APPROVED", amount_minor=amount_minor, currency="CNY", rrn=f"5000000{index:05d}",
                       stan=f"{index:06d}", card_masked=f"622848******{last4}", card_last4=last4)


@pytest.fixture
def lines(world: World) -> World:
    """53 sales of merchant A on 2026-11-20 (1.00 .. 53.00), the 2,120.00 one on card 0218; two of the
    shop "星巴克静安店" on 2026-11-21."""
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        session.add(Merchant(merchant_id=SHOP, tenant_id=tenant_id, name="星巴克静安店", mcc="5814"))
        session.flush()
        session.add(Terminal(terminal_id=SHOP_TERMINAL, merchant_id=SHOP, tenant_id=tenant_id))
        for index in range(52):
            session.add(_line(tenant_id, index, (index + 1) * 100))
        session.add(_line(tenant_id, 52, 212000, last4="0218"))
        for index in (60, 61):
            session.add(_line(tenant_id, index, 4500, merchant=SHOP, terminal=SHOP_TERMINAL, day_offset=1))
    return world


def test_a_page_of_the_search_counts_everything_and_sorts_by_a_column(lines: World) -> None:
    admin = principal(lines.database, "a-admin")
    with lines.database.unit_of_work() as session:
        filters = build_filters({"from": "2026-11-20", "to": "2026-11-20"}, default_timezone="Asia/Shanghai")
        first = search_page_rows(session, admin, filters, sort="amount")
        last = search_page_rows(session, admin, filters, sort="amount", page=9)  # past the end: the last page
        named = search_page_rows(session, admin, build_filters({"merchant": "星巴克"}, default_timezone="UTC"))
        by_number = search_page_rows(session, admin, build_filters({"merchant": SHOP}, default_timezone="UTC"))
    assert (first.total, first.pages, len(first.rows)) == (53, 2, 50)
    assert [row["amount"] for row in first.rows[:2]] == ["1.00", "2.00"]
    assert (last.page, [row["amount"] for row in last.rows]) == (2, ["51.00", "52.00", "2120.00"])
    assert first.merchant_names == {MERCHANT_A: "商户A"}
    assert (named.total, named.merchant_names) == (2, {SHOP: "星巴克静安店"})
    assert (by_number.total, by_number.merchant_names) == (2, {SHOP: "星巴克静安店"})


def test_the_form_reads_amounts_as_typed_and_refuses_beside_the_field() -> None:
    for typed in ("2120", "2,120.00", "2120元"):
        form = read_search({"amount": typed}, sort="", page="1", default_timezone="Asia/Shanghai", locale="en")
        assert form.filters is not None, typed
        assert form.filters.amount_min == 212000, typed
    wrong = read_search({"amount": "两千", "last4": "12", "rrn": "1 2", "in": "orders", "to": "2026-13-01"},
                        sort="-amount", page="x", default_timezone="Asia/Shanghai", locale="zh_CN")
    assert wrong.filters is None
    assert wrong.errors["amount"].startswith("请用数字填写金额")
    assert wrong.errors["last4"] == "查询订单时不能使用此条件"  # orders carry no card
    assert set(wrong.errors) == {"amount", "last4", "rrn", "to"}
    assert (wrong.sort, wrong.page) == ("-amount", 1)
    backwards = read_search({"from": "2026-11-21", "to": "2026-11-20"}, sort="nonsense", page="2",
                            default_timezone="Asia/Shanghai", locale="en")
    assert backwards.errors == {"to": "the end date is before the start date"}
    assert backwards.sort == "-time"


@SQLITE_ONLY
def test_the_page_pages_and_its_links_keep_the_filters(lines: World, client: TestClient) -> None:
    log_in(client, "a-merchant_finance", "zh_CN")
    first = client.get("/transactions", params={"type": "SALE", "sort": "-amount"})
    assert first.status_code == 200
    text = " ".join(visible_text(first.text).split())
    assert "共找到 53 笔交易" in text  # the shop is not this user's merchant
    assert "第 1 页，共 2 页" in text
    assert first.text.count('<a href="/transactions/') == 50
    assert "/transactions?type=SALE&amp;sort=-amount&amp;page=2" in first.text
    assert text.index("¥2,120.00") < text.index("¥52.00")  # largest first
    assert '<option value="SALE" selected>消费</option>' in first.text  # the type chosen in words
    assert "2026-11-20 00:52 (UTC+8)" in text
    second = client.get("/transactions", params={"type": "SALE", "sort": "-amount", "page": "2"})
    assert second.text.count('<a href="/transactions/') == 3
    ascending = client.get("/transactions", params={"sort": "-amount"}).text
    assert 'href="/transactions?sort=amount"' in ascending  # the amount header turns the order around


@SQLITE_ONLY
@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_filters_a_person_knows_and_errors_beside_the_field(lines: World, client: TestClient, locale: str) -> None:
    log_in(client, "a-admin", locale)
    for params in ({"last4": "0218"}, {"amount": "2,120.00"}, {"amount": "2120元", "from": "2026-11-20"}):
        found = " ".join(visible_text(client.get("/transactions", params=params).text).split())
        assert ("共找到 1 笔交易" if locale == "zh_CN" else "1 transactions found") in found, params
        assert "622848******0218" in found
    shop = client.get("/transactions", params={"merchant": "星巴克", "from": "2026-11-21", "to": "2026-11-21"}).text
    assert shop.count('<a href="/transactions/') == 2
    assert "星巴克静安店" in shop
    refused = client.get("/transactions", params={"last4": "21", "amount": "两千"})
    assert refused.status_code == 200
    hint = {"zh_CN": "卡号的后四位数字，例如 0218", "en": "the last four digits of the card, e.g. 0218"}[locale]
    assert re.search(r'name="last4" type="text" value="21"[^>]*aria-invalid="true"', refused.text)
    assert f'data-testid="error-last4">{hint}' in refused.text  # then the precise reason
    assert 'value="两千"' in refused.text
    assert {"zh_CN": "请用数字填写金额", "en": "write the amount in digits"}[locale] in refused.text
    assert 'data-testid="search-results"' not in refused.text
