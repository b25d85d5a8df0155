"""A merchant's finance person in Chromium finds a finding from partial facts on /findings (Chinese page):
chooses the kind by its Chinese word, types the card's last four, and follows the row to its case."""

from __future__ import annotations

import pytest
from tests.reconciliation.test_findings_list_service import build_findings
from tests.support.factories import PASSWORD, World
from tests.web.conftest import browser, live_url  # noqa: F401  (the browser fixtures, shared with tests/web)

from recoup.auth.roles import Role

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@SQLITE
def test_a_finance_user_finds_a_finding_by_kind_and_card_and_opens_its_case(
        live_url: str, browser: object, world: World) -> None:  # noqa: F811
    build_findings(world)
    page = browser.new_page()  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda answer: errors.append(answer.url) if answer.status >= 400 else None)
    page.goto(f"{live_url}/login")
    page.fill("input[name=username]", World.username("A", Role.MERCHANT_FINANCE))
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_url}/")
    page.goto(f"{live_url}/findings")
    page.select_option("select[name=kind]", label="多收")
    page.fill("input[name=last4]", "0218")
    page.click("form[data-testid=finding-filters] button[type=submit]")
    page.wait_for_url("**/findings?**")
    rows = page.locator("tr[data-finding]")
    assert rows.count() == 1
    assert "多收" in rows.first.inner_text()
    assert page.input_value("input[name=last4]") == "0218"
    page.click("tr[data-finding] [data-testid=case-link]")
    page.wait_for_url("**/cases/RC-2026-000901")
    assert "RC-2026-000901" in page.inner_text("main")
    assert errors == []
    page.close()
