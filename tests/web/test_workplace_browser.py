"""The workplace in Chromium (issue 12): a cashier stops a terminal with a confirmation and a reason, and the
case list and case page are usable on a phone (390 x 844). Screenshots are kept in the test's tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cases.test_case_world import TERMINAL_A, overcharge_case
from tests.support.factories import PASSWORD, World
from tests.web.conftest import browser, live_url  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def _log_in(page: object, base: str, username: str) -> None:
    page.goto(f"{base}/login")  # type: ignore[attr-defined]
    page.fill("input[name=username]", username)  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.click("form[action='/login'] button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{base}/")  # type: ignore[attr-defined]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_cashier_stops_a_terminal_with_a_confirmation_and_a_reason(live_url: str, browser: object,  # noqa: F811
                                                                   world: World, tmp_path: Path) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    _log_in(page, live_url, "a-cashier")
    page.goto(f"{live_url}/terminals/{TERMINAL_A}")
    questions: list[str] = []

    def answer(dialog: object) -> None:
        questions.append(dialog.message)  # type: ignore[attr-defined]
        if len(questions) == 1:
            dialog.dismiss()  # type: ignore[attr-defined]  # the first time the cashier changes their mind
        else:
            dialog.accept()  # type: ignore[attr-defined]

    page.on("dialog", answer)
    page.fill("[data-testid=stop-reason-input]", "应收212元，刷了2120元")
    page.click("[data-testid=stop-terminal]")
    assert page.locator("[data-testid=terminal-status]").inner_text() == "正常"  # dismissed: nothing happened
    page.click("[data-testid=stop-terminal]")
    page.wait_for_selector("[data-testid=stopped-by]")
    assert TERMINAL_A in questions[0]
    assert "停用" in questions[0]
    assert page.locator("[data-testid=stopped-by]").inner_text() == "a-cashier"
    assert "(UTC+8)" in page.locator("[data-testid=stopped-at]").inner_text()
    assert page.locator("[data-testid=stop-reason]").inner_text() == "应收212元，刷了2120元"
    assert page.locator("[data-testid=restart-form]").count() == 0  # the cashier may not restart: no form
    assert "已停用" in page.locator("[data-testid=done-message]").inner_text()
    page.screenshot(path=str(tmp_path / "terminal-stopped.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_case_list_and_page_fit_a_phone(live_url: str, browser: object, world: World,  # noqa: F811
                                        tmp_path: Path) -> None:
    number = overcharge_case(world)
    page = browser.new_page(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    _log_in(page, live_url, "a-merchant_finance")
    for address, shot in (("/cases", "phone-cases.png"), (f"/cases/{number}", "phone-case.png")):
        page.goto(f"{live_url}{address}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (address, width)  # nothing makes the page scroll sideways
        menu = page.locator("header nav a[href='/cases']").bounding_box()
        assert menu is not None
        assert menu["width"] > 20
        page.screenshot(path=str(tmp_path / shot), full_page=True)
    # The timeline is read whole, each entry a card: no note runs past the screen's edge or hides in a sideways scroll.
    notes = page.locator("[data-testid=timeline-note]")
    assert notes.count() >= 1
    for position in range(notes.count()):
        box = notes.nth(position).bounding_box()
        assert box is not None
        assert box["width"] > 200, box
        assert 0 <= box["x"], box
        assert box["x"] + box["width"] <= 390, box
    scrolled = page.evaluate("(() => { const wrap = document.querySelector('[data-testid=timeline]').parentElement;"
                             " return wrap.scrollWidth - wrap.clientWidth; })()")
    assert scrolled <= 0
    assert page.locator("[data-testid=action-amount]").input_value() == "1152.00"
    assert page.locator("[data-testid=action-amount]").bounding_box()["width"] > 200
    page.goto(f"{live_url}/cases")
    link = page.locator(f"a[href='/cases/{number}']")
    assert link.is_visible()
    assert link.bounding_box()["x"] < 390
    page.close()
