"""Steps the role journeys (test_role_journeys.py) take on several pages: importing a file and reconciling
from its outcome, reading the case page's balance panel, working a case from the dashboard's queue."""

from __future__ import annotations

from pathlib import Path

from tests.journeys.support_journey import Journey


def import_on_page(j: Journey, kind: str, path: Path) -> None:
    """Upload a file on the imports page and wait for its outcome in the page."""
    j.page.select_option("[data-testid=import-kind]", kind)
    j.page.set_input_files("[data-testid=import-file]", str(path))
    j.page.click("[data-testid=import-submit]")
    ended = j.page.wait_for_selector("[data-testid=import-job]:not([data-state=running])", timeout=60_000)
    assert ended is not None
    assert ended.get_attribute("data-state") == "done", ended.inner_text()


def reconcile_from_page(j: Journey) -> None:
    """The import outcome's button: reconcile the imported days, follow the progress to the end."""
    j.page.click("[data-testid=reconcile-start]")
    j.page.wait_for_url("**/reconciliation/jobs/*")
    j.page.wait_for_selector("[data-testid=reconcile-job][data-state=done]", timeout=60_000)


def balances(j: Journey) -> dict[str, str]:
    """The case page's balance panel: account -> amount shown."""
    rows = j.page.locator("[data-testid=balance-panel] tr")
    names = rows.nth(0).locator("th").all_inner_texts()
    amounts = rows.nth(1).locator("td").all_inner_texts()
    return {name.strip(): amount.strip() for name, amount in zip(names, amounts, strict=True)}


def minor(shown: str) -> int:
    """"¥610,422.80" -> 61042280."""
    return int(shown.replace("¥", "").replace(",", "").replace(".", ""))


def write(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


def work_escalated_case(j: Journey, number: str) -> None:
    """The escalated case is in the role's queue on the dashboard; it opens from there."""
    j.step("dashboard")
    link = j.page.locator(f"[data-testid=work-queue] a[href='/cases/{number}']")
    assert link.count() == 1, j.text("[data-testid=work-queue]")
    j.submit(f"[data-testid=work-queue] a[href='/cases/{number}']")
    j.page.wait_for_url(f"**/cases/{number}")


def add_note(j: Journey, text: str) -> None:
    j.page.fill("form[action$='/notes'] input[name=text]", text)
    j.submit("[data-testid=add-note]")
    assert text in j.text("[data-testid=timeline]")
