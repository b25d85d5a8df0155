"""The upload page in a browser: the file goes up with a progress bar, the import is followed to its outcome."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.factories import PASSWORD
from tests.support.journals import journal_bytes

pytestmark = pytest.mark.browser


def journal(path: Path, count: int, *, bad_amount_at: int | None = None) -> Path:
    path.write_bytes(journal_bytes(count, bad_amount_at=bad_amount_at))
    return path


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_uploading_on_the_page_follows_the_import_to_its_result(live_url: str, browser: object,
                                                                 tmp_path: Path) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{live_url}/login")
    page.fill("input[name=username]", "a-admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_url}/")
    page.goto(f"{live_url}/imports")
    page.set_input_files("[data-testid=import-file]", str(journal(tmp_path / "bad.csv", 20, bad_amount_at=7)))
    page.click("[data-testid=import-submit]")
    page.wait_for_selector("[data-testid=import-job][data-state=rejected]", timeout=60_000)
    assert "负数金额" in page.inner_text("[data-testid=import-rejects]") or \
        "negative amount" in page.inner_text("[data-testid=import-rejects]")
    assert "8" in page.inner_text("[data-testid=import-rejects] td")
    page.check("input[name=skip_bad_rows]")
    page.set_input_files("[data-testid=import-file]", str(journal(tmp_path / "bad.csv", 20, bad_amount_at=7)))
    page.click("[data-testid=import-submit]")
    page.wait_for_selector("[data-testid=import-job][data-state=done]", timeout=60_000)
    assert page.inner_text("[data-testid=import-imported]") == "19"
    assert page.url == f"{live_url}/imports"  # followed in place, no page load
    page.close()
