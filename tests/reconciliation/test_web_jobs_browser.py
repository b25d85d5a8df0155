"""In a browser: import the sample files on the page, press "Reconcile the imported days", watch the progress
bar, then read what was found (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.factories import PASSWORD
from tests.web import conftest as web_fixtures

pytestmark = pytest.mark.browser
live_url, browser = web_fixtures.live_url, web_fixtures.browser  # the browser tests' fixtures (tests/web/conftest.py)
SAMPLES = Path(__file__).parents[1] / "fixtures" / "samples" / "recon"


def _import(page: object, kind: str, path: Path) -> None:
    page.select_option("[data-testid=import-kind]", kind)  # type: ignore[attr-defined]
    page.set_input_files("[data-testid=import-file]", str(path))  # type: ignore[attr-defined]
    page.check("input[name=skip_bad_rows]")  # type: ignore[attr-defined]  # the sample's other merchants are not A's
    page.click("[data-testid=import-submit]")  # type: ignore[attr-defined]
    ended = page.wait_for_selector("[data-testid=import-job]:not([data-state=running])",  # type: ignore[attr-defined]
                                   timeout=60_000)
    assert ended.get_attribute("data-state") == "done", ended.inner_text()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_reconciling_an_import_from_its_result_shows_progress_then_findings(live_url: str, browser: object) -> None:
    context = browser.new_context()  # type: ignore[attr-defined]  # closed at the end: the server then stops at once
    page = context.new_page()
    failed: list[str] = []
    page.on("response", lambda answer: failed.append(answer.url) if answer.status >= 400 else None)
    first_pages: list[str] = []
    page.on("response", lambda answer: first_pages.append(answer.text())
            if "/reconciliation/jobs/" in answer.url and answer.request.method == "GET" else None)
    page.goto(f"{live_url}/login")
    page.fill("input[name=username]", "a-admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_url}/")
    page.goto(f"{live_url}/imports")
    _import(page, "orders", SAMPLES / "orders.csv")
    _import(page, "journal", SAMPLES / "journal.csv")
    _import(page, "settlement", SAMPLES / "settlement.csv")

    page.click("[data-testid=reconcile-start]")  # the button of the import just done, in the page
    page.wait_for_url(f"{live_url}/reconciliation/jobs/*")
    page.wait_for_selector("[data-testid=reconcile-job][data-state=done]", timeout=60_000)
    assert first_pages
    assert "reconcile-progress-bar" in first_pages[0]
    findings = page.inner_text("[data-testid=reconcile-new-findings]")
    assert "结算金额不符" in findings
    assert "超额退款" in findings
    assert "_" not in findings  # no raw code (SETTLEMENT_MISMATCH)
    page.click("[data-testid=reconcile-findings-link]")
    page.wait_for_url(f"{live_url}/findings?*")
    assert page.locator("table tbody tr").count() > 0
    assert [url for url in failed if not url.endswith("/favicon.ico")] == []
    context.close()
