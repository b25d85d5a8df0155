"""The payer's journey in the browser (Playwright, system Chromium): file, staff link and answer, then rate."""

from __future__ import annotations

import pytest
from tests.complaints.complaint_world import MERCHANT_A, sale_pair
from tests.support.factories import PASSWORD, World
from tests.web.conftest import browser, live_url  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_payer_files_staff_link_open_a_case_and_answer_payer_rates(live_url: str, browser: object,  # noqa: F811
                                                                   world: World) -> None:
    right, _ = sale_pair(world)
    payer = browser.new_page()  # type: ignore[attr-defined]
    payer.goto(f"{live_url}/c/{MERCHANT_A}?lang=en")
    assert payer.locator("[data-testid=merchant-name]").inner_text() == "商户A"
    payer.fill("[data-testid=amount]", "128.00")
    payer.fill("[data-testid=when]", "2026-11-02T14:30")
    payer.fill("[data-testid=last4]", "4321")
    payer.fill("[data-testid=description]", "I was charged twice at the till.")
    payer.click("[data-testid=file-complaint]")
    payer.wait_for_selector("[data-testid=tracking-code]")
    payer.click("[data-testid=status-link]")
    assert payer.locator("[data-testid=complaint-state]").inner_text() == "New"
    status_url = payer.url

    staff = browser.new_page()  # type: ignore[attr-defined]
    staff.goto(f"{live_url}/login")
    staff.fill("input[name=username]", "a-merchant_finance")
    staff.fill("input[name=password]", PASSWORD)
    staff.click("form[action='/login'] button[type=submit]")
    staff.wait_for_url(f"{live_url}/")
    staff.click("a[href='/complaints']")
    staff.click("[data-testid=complaint-link]")
    assert staff.locator("[data-testid=candidate]").count() == 1
    staff.click(f"[data-testid=link-{right}]")
    staff.wait_for_selector("[data-testid=linked-transaction]")
    staff.click("[data-testid=open-case]")
    staff.wait_for_selector("[data-testid=complaint-case]")
    staff.click("[data-testid=complaint-case]")
    staff.wait_for_selector("[data-testid=case-complaints]")
    staff.click("[data-testid=case-complaint-link]")
    staff.fill("[data-testid=answer-text]", "We have found the double charge and refund it today.")
    staff.click("[data-testid=send-answer]")
    staff.wait_for_selector("[data-testid=staff-answers] li:not(.muted)")

    payer.goto(status_url)
    assert payer.locator("[data-testid=complaint-state]").inner_text() == "Answered"
    assert "refund it today" in payer.locator("[data-testid=answers]").inner_text()
    payer.check("[data-testid=rate-5]")
    payer.click("[data-testid=send-rating]")
    payer.wait_for_selector("[data-testid=rating-given]")
    assert "5 / 5" in payer.locator("[data-testid=rating-given]").inner_text()
    assert payer.locator("[data-testid=rating-form]").count() == 0
    staff.reload()
    assert "5 / 5" in staff.locator("[data-testid=complaint-rating]").inner_text()
    payer.close()
    staff.close()
