"""In Chromium: send an apology from the case page, see it queued, then sent after a worker pass."""

from __future__ import annotations

import pytest
from tests.messaging.conftest import CONTACT, Received, case_with_contact, with_smtp
from tests.support.factories import PASSWORD, World
from tests.web.conftest import browser, live_url  # noqa: F401  (the browser fixtures of tests/web)

from recoup.config import Settings
from recoup.messaging.delivery import deliver_due

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_apology_sent_from_the_case_page_is_queued_then_sent(
        live_url: str, browser: object, world: World, settings: Settings,  # noqa: F811
        smtp_server: tuple[int, Received]) -> None:
    port, received = smtp_server
    number = case_with_contact(world, settings)
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{live_url}/cases/{number}")
    page.fill("input[name=username]", "a-merchant_finance")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.goto(f"{live_url}/cases/{number}")
    assert "p***@example.com" in page.inner_text("[data-testid=message-form]") or \
        "p***@example.com" in (page.get_attribute("[data-testid=message-to]", "placeholder") or "")
    page.select_option("[data-testid=message-template]", "apology")
    page.click("[data-testid=message-send]")
    page.wait_for_selector("[data-testid=message-state]")
    assert page.inner_text("[data-testid=message-state]") == "排队中"
    assert deliver_due(world.database, with_smtp(settings, port)).sent == 1
    page.reload()
    assert page.inner_text("[data-testid=message-state]") == "已发送"
    assert [str(m["To"]) for m in received.messages] == [CONTACT]
    page.close()
