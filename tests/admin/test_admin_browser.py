"""In Chromium (SQLite): the admin adds a user and a terminal through the pages, in Chinese, with no
failed request but the refused form's 422."""

from __future__ import annotations

import pytest
from tests.support.factories import OBJECTS, PASSWORD
from tests.web.conftest import browser, live_url  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_admin_adds_a_user_and_a_terminal(live_url: str, browser: object) -> None:  # noqa: F811
    page = browser.new_page()  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("response", lambda answer: errors.append(f"{answer.status} {answer.url}")
            if answer.status >= 400 and "/admin/users" not in answer.url else None)  # the refused form: 422
    page.goto(f"{live_url}/login")
    page.fill("input[name=username]", "a-admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_url}/")
    page.goto(f"{live_url}/admin")
    page.click("[data-testid=admin-users]")
    page.click("[data-testid=add-user]")
    page.fill("#f-username", "a-cashier-2")
    page.select_option("#f-role", "cashier")
    page.check(f"input[name=merchant_ids][value='{OBJECTS['A'][0]}']")
    page.fill("#f-password", "short")
    page.click("[data-testid=save-user]")
    assert "至少 8 个字符" in page.inner_text("[data-testid=error-password]")
    assert page.input_value("#f-username") == "a-cashier-2"
    page.fill("#f-password", "a-long-password")
    page.click("[data-testid=save-user]")
    assert "已添加用户 a-cashier-2" in page.inner_text("[data-testid=done]")
    assert "收银员" in page.inner_text("[data-testid=users]")
    page.goto(f"{live_url}/admin/merchants")
    page.click("[data-testid=add-terminal]")
    page.fill("#f-terminal_id", "61029990")
    page.select_option("#f-merchant_id", OBJECTS["A"][0])
    page.fill("#f-model", "PAX A920")
    page.fill("#f-location", "二楼收银台")
    page.click("[data-testid=save-terminal]")
    assert "已添加终端 61029990" in page.inner_text("[data-testid=done]")
    page.goto(f"{live_url}/admin/merchants")
    assert "61029990" in page.inner_text("[data-testid=merchants]")
    assert errors == []
    page.close()
