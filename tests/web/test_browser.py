"""The pages as a person uses them: Playwright driving the system Chromium."""

from __future__ import annotations

import pytest
from tests.support.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_login_switch_language_logout(live_url: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{live_url}/")
    assert "/login" in page.url
    assert page.locator("h1").inner_text() == "登录"
    page.fill("input[name=username]", "a-admin")
    page.fill("input[name=password]", "wrong-password")
    page.click("form[action='/login'] button[type=submit]")
    assert "用户名或密码错误" in page.locator("[role=alert]").inner_text()
    page.fill("input[name=username]", "a-admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_url}/")
    assert page.locator("h1").inner_text() == "工作台"
    page.click("[data-testid=lang-en]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Dashboard"
    page.click("[data-testid=logout]")
    page.wait_for_url(f"{live_url}/login")
    assert page.locator("h1").inner_text() == "Log in"
    page.close()
