"""The case page as a person uses it (Playwright, system Chromium): work a case, refund, ask the payer."""

from __future__ import annotations

import pytest
from tests.cases.test_case_world import MERCHANT_A, Finding, add_sale, overcharge_case, save
from tests.support.factories import PASSWORD, World
from tests.web.conftest import browser, live_url  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def _log_in(page: object, base: str) -> None:
    page.goto(f"{base}/login")  # type: ignore[attr-defined]
    page.fill("input[name=username]", "a-merchant_finance")  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.click("form[action='/login'] button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{base}/")  # type: ignore[attr-defined]
    page.click("[data-testid=lang-en]")  # type: ignore[attr-defined]
    page.wait_for_load_state()  # type: ignore[attr-defined]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_refund_from_the_case_page_and_see_it_on_the_timeline(live_url: str, browser: object,  # noqa: F811
                                                              world: World) -> None:
    with world.database.unit_of_work() as session:
        add_sale(session, world.tenants["A"].id, "800000000009", 500000)
    number = overcharge_case(world)
    page = browser.new_page()  # type: ignore[attr-defined]
    _log_in(page, live_url)
    page.click("a[href='/cases']")
    page.click(f"a[href='/cases/{number}']")
    assert page.locator("[data-testid=case-state]").inner_text() == "Open"
    assert "1,152.00" in page.locator("[data-testid=at-stake]").inner_text()
    page.select_option("[data-testid=action-form] select[name=kind]", "REFUND")
    page.fill("[data-testid=action-form] input[name=amount]", "1152.00")
    page.click("[data-testid=perform-action]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=case-state]").inner_text() == "Action under way"
    assert "Instructed" in page.locator("[data-testid=actions]").inner_text()
    assert "¥1,152.00" in page.locator("[data-testid=balance-panel]").inner_text()
    assert "State changed" in page.locator("[data-testid=timeline]").inner_text()
    page.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_ask_the_payer_for_the_difference_and_open_the_payment_page(live_url: str, browser: object,  # noqa: F811
                                                                    world: World) -> None:
    with world.database.unit_of_work() as session:
        add_sale(session, world.tenants["A"].id, "810000000001", 1280, order_no="NO-3")
    number = save(world, [Finding("UNDERCHARGE", MERCHANT_A, "810000000001", 1280, 12800, order_no="NO-3")]).cases[0]
    page = browser.new_page()  # type: ignore[attr-defined]
    _log_in(page, live_url)
    page.goto(f"{live_url}/cases/{number}")
    page.select_option("[data-testid=action-form] select[name=kind]", "COLLECT")
    page.fill("[data-testid=action-form] input[name=amount]", "115.20")
    page.click("[data-testid=perform-action]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=case-state]").inner_text() == "Awaiting the payer"
    page.click("text=Payment page")
    page.wait_for_load_state()
    assert page.locator("[data-testid=bill-number]").inner_text() == number
    assert "115.20" in page.locator("[data-testid=pay-amount]").inner_text()
    assert page.locator("[data-testid=qr] svg").count() == 1
    page.close()
