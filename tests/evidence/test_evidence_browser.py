"""Dropping files on the case page (Playwright, system Chromium): both are kept and shown as thumbnails."""

from __future__ import annotations

import base64

import pytest
from playwright.sync_api import expect
from tests.evidence.evidence_world import open_case_for, png_bytes
from tests.support.factories import PASSWORD, World
from tests.web.conftest import browser, live_url  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
DROP = """([files]) => {
  const transfer = new DataTransfer();
  for (const [name, encoded] of files) {
    const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
    transfer.items.add(new File([bytes], name, {type: "image/png"}));
  }
  return transfer;
}"""


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_drop_two_photos_and_see_both_with_thumbnails(live_url: str, browser: object,  # noqa: F811
                                                      world: World) -> None:
    number = open_case_for(world)
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{live_url}/login")
    page.fill("input[name=username]", "a-cashier")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_url}/")
    page.goto(f"{live_url}/cases/{number}")
    assert "尚无证据文件" in page.locator("[data-testid=evidence-files]").inner_text()
    page.select_option("[data-testid=evidence-kind]", "photo")
    files = [[name, base64.b64encode(png_bytes(4, 4, shade)).decode()] for name, shade in
             (("柜台.png", 10), ("slip.png", 250))]
    transfer = page.evaluate_handle(DROP, [files])
    page.dispatch_event("[data-testid=evidence-drop]", "drop", {"dataTransfer": transfer})
    thumbnails = page.locator("[data-testid=evidence-thumbnail]")
    expect(thumbnails).to_have_count(2, timeout=15000)
    rows = page.locator("[data-testid=evidence-item]")
    assert rows.count() == 2
    text = page.locator("[data-testid=evidence-files]").inner_text()
    assert "柜台.png" in text
    assert "slip.png" in text
    assert "照片" in text
    assert page.locator("[data-testid=evidence-progress] .ok").count() == 2
    for index in range(2):  # each thumbnail is the decrypted image itself, drawn 4 pixels wide
        thumbnails.nth(index).scroll_into_view_if_needed()
        expect(thumbnails.nth(index)).to_have_js_property("naturalWidth", 4)
    page.close()
