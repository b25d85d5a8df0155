"""In Chromium on a phone (390 x 844): merchant finance finds a transaction from the card's last four digits and
sees its finding and its case on the transaction page, nothing wider than the screen. Screenshots in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.factories import PASSWORD, World
from tests.transactions.test_web_transaction_page import _overcharge
from tests.web.conftest import browser, live_url  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_finance_finds_the_transaction_and_its_finding_on_a_phone(live_url: str, browser: object,  # noqa: F811
                                                                  world: World, tmp_path: Path) -> None:
    _, _, number = _overcharge(world)
    page = browser.new_page(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    failed: list[str] = []
    page.on("response", lambda answer: failed.append(answer.url) if answer.status >= 400
            and not answer.url.endswith("/favicon.ico") else None)
    page.goto(f"{live_url}/login")
    page.fill("input[name=username]", "a-merchant_finance")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_url}/")
    page.goto(f"{live_url}/transactions")
    page.fill("[data-testid=search-last4]", "1234")
    page.fill("[data-testid=search-amount]", "1,280元")
    page.click("[data-testid=search-submit]")
    assert "共找到 1 笔交易" in page.locator("[data-testid=search-total]").inner_text()
    page.screenshot(path=str(tmp_path / "search-phone.png"), full_page=True)
    page.locator("[data-testid=search-results] tbody a").first.click()
    page.wait_for_selector("[data-testid=findings]")
    assert page.locator("[data-testid=finding-kind]").inner_text() == "多收 · 多输一位"
    assert page.locator("[data-testid=finding-stake]").inner_text() == "¥1,152.00"
    assert page.locator("[data-testid=claiming-case]").inner_text() == number
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    page.screenshot(path=str(tmp_path / "transaction-phone.png"), full_page=True)
    assert failed == []
    page.close()
