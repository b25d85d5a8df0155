"""The payer's public payment page and printable slip, in Chinese and English, and the balance panel
of the case page."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from tests.cases.test_case_world import MERCHANT_A, Finding, add_sale, admin, journal_line, overcharge_case, save
from tests.support.factories import PASSWORD, World

from recoup.recovery.collect import for_action
from recoup.recovery.confirm import confirm_from_journal
from recoup.recovery.plans import ActionRequest
from recoup.recovery.service import perform

CHINESE = ("付款请求", "账单号", "请使用银行或支付应用扫码支付差额。")
ENGLISH = ("Payment request", "Bill number", "Scan with your banking or payment app to pay the difference.")


def _payment(world: World) -> tuple[str, str]:
    """An UNDERCHARGE case asking the payer for 115.20; its number and the payment's token."""
    with world.database.unit_of_work() as session:
        add_sale(session, world.tenants["A"].id, "760000000001", 1280, order_no="NO-P")
    number = save(world, [Finding("UNDERCHARGE", MERCHANT_A, "760000000001", 1280, 12800, order_no="NO-P")]).cases[0]
    made = perform(world.database, admin(world), number, ActionRequest("collect", "115.20"), "pay-1").action
    with world.database.unit_of_work() as session:
        request = for_action(session, int(str(made["id"])))
        assert request is not None
        return number, request.token


@pytest.mark.parametrize(("lang", "words", "html_lang"), [("", CHINESE, "zh-CN"), ("zh-CN", CHINESE, "zh-CN"),
                                                        ("en", ENGLISH, "en")])
def test_the_payment_page_and_slip_speak_the_payers_language(client: TestClient, world: World, lang: str,
                                                             words: tuple[str, ...], html_lang: str) -> None:
    number, token = _payment(world)
    query = f"?lang={lang}" if lang else ""
    for path in (f"/pay/{token}{query}", f"/pay/{token}/slip{query}"):
        page = client.get(path)
        assert page.status_code == 200
        assert f'<html lang="{html_lang}">' in page.text
        assert all(word in page.text for word in words), path
        assert number in page.text
        assert "115.20" in page.text
        assert "<svg" in page.text
    other = ENGLISH if words == CHINESE else CHINESE
    assert other[0] not in client.get(f"/pay/{token}").text  # the choice stays for the next page


def test_a_paid_request_thanks_the_payer_in_either_language(client: TestClient, world: World) -> None:
    number, token = _payment(world)
    with world.database.unit_of_work() as session:
        paid = journal_line(session, world.tenants["A"].id, "SALE", "760000000002", 11520, order_no=number)
        assert confirm_from_journal(session, [paid]) == 1
    assert "已支付，谢谢" in client.get(f"/pay/{token}").text
    english = client.get(f"/pay/{token}?lang=en").text
    assert "Paid, thank you" in english
    assert "<svg" not in english


def _log_in(client: TestClient, locale: str) -> None:
    login = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert csrf is not None
    home = client.post("/login", data={"username": "a-merchant_finance", "password": PASSWORD,
                                       "csrf_token": csrf.group(1), "next": "/"})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert csrf is not None
    client.post("/lang", data={"locale": locale, "next": "/", "csrf_token": csrf.group(1)})


@pytest.mark.parametrize(("locale", "available", "held"), [("zh_CN", "可用", "冻结"), ("en", "Available", "Held")])
def test_the_case_page_shows_the_merchants_balances(client: TestClient, world: World, locale: str, available: str,
                                                    held: str) -> None:
    number = overcharge_case(world, fund_minor=500000)
    perform(world.database, admin(world), number, ActionRequest("refund", "100.00"), "panel-1")
    _log_in(client, locale)
    page = client.get(f"/cases/{number}").text
    panel = re.search(r'<table data-testid="balance-panel">(.*?)</table>', page, re.S)
    assert panel is not None
    cells = re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", panel.group(1))
    columns = len(cells) // 2
    balances = dict(zip(cells[:columns], cells[columns:], strict=True))
    assert balances[available] == "¥6,180.00"  # 5000.00 + 1280.00 settled, 100.00 paid towards the payer
    assert balances[held] == "¥0.00"
