"""Accessibility (issue 12): axe-core (tests/web/vendor/axe.min.js, MPL-2.0) checks every page an admin reaches
from the menu, one of each detail page and the payer's complaint page, in Chinese and in English, on the demo
data; any WCAG 2 A/AA violation axe rates serious or critical fails, named by rule, element and page. The
keyboard alone fills the login form and reaches the case page's first button."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.demo_cache import serve_demo
from tests.web.vendor.demo_site import DemoSite, log_in

pytestmark = pytest.mark.browser

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
MENU_PAGES = ("/", "/findings", "/reports", "/reports/prevention", "/cases", "/complaints", "/complaints/new",
              "/disputes", "/alerts", "/terminals", "/transactions", "/imports", "/admin", "/admin/users",
              "/admin/users/new", "/admin/merchants", "/admin/merchants/new", "/admin/terminals/new",
              "/admin/ladder", "/admin/qr-account", "/admin/webhooks", "/message-templates", "/account/password")
# One page of each kind of detail, found by following the first link of that shape from the pages above.
DETAIL_SHAPES = {
    "case": r"^/cases/RC-[\d-]+$", "transaction": r"^/transactions/\d+$", "terminal": r"^/terminals/[^/?]+$",
    "merchant": r"^/admin/merchants/\d+$", "admin terminal": r"^/admin/terminals/[^/?]+$",
    "user": r"^/admin/users/[^/?]+$", "ledger": r"^/ledger/\d+$", "dispute": r"^/disputes/\d+$",
    "complaint": r"^/complaints/\d+$", "run": r"^/reconciliation/runs/\d+$", "import": r"^/imports/\d+$",
}
RUN_AXE = """async () => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']},
                                          resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' :: ' + n.html.slice(0, 120))}));
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    with serve_demo(tmp_path_factory.getbasetemp()) as served:
        yield served




def axe_violations(page: Any) -> list[dict[str, Any]]:
    page.evaluate(AXE_SOURCE)  # evaluated in the page: the CSP forbids an injected inline <script>
    return list(page.evaluate(RUN_AXE))


def new_details(page: Any, found: dict[str, str]) -> None:
    """Adds the first link of every detail shape not found yet on the page shown."""
    for href in page.eval_on_selector_all("a[href^='/']", "links => links.map(a => a.getAttribute('href'))"):
        for shape, pattern in DETAIL_SHAPES.items():
            if shape not in found and re.match(pattern, href.split("#")[0]):
                found[shape] = href.split("#")[0]


def check(page: Any, url: str, path: str) -> list[str]:
    answer = page.goto(url + path)
    if answer is None or answer.status >= 400:
        return [f"{path}: HTTP {answer and answer.status}"]
    return [f"{path}: {violation}" for violation in axe_violations(page)]


def merchant_of(page: Any, url: str) -> str:
    page.goto(url + "/admin/merchants")
    hrefs = page.eval_on_selector_all("a[href^='/admin/merchants/']", "links => links.map(a => a.getAttribute('href'))")
    return str(next(href for href in hrefs if re.match(DETAIL_SHAPES["merchant"], href))).rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def with_complaint_and_dispute(site: DemoSite, chromium: Any) -> DemoSite:
    """The demo has neither: a payer files a complaint on the public page, the admin opens a chargeback on
    an overcharge case from its page, so that both detail pages are checked too."""
    context = chromium.new_context()
    page = context.new_page()
    log_in(page, site.url, "admin")
    merchant = merchant_of(page, site.url)
    page.goto(site.url + "/cases?kind=OVERCHARGE")
    page.goto(site.url + page.eval_on_selector("a[href^='/cases/RC-']", "a => a.getAttribute('href')"))
    page.locator("[data-testid=case-disputes] summary").click()  # the form folds under "Open a dispute"
    dispute = page.locator("form[action$='/disputes']")
    dispute.locator("input[name=reason_code]").fill("4507")
    dispute.locator("input[name=amount]").fill("1.00")
    dispute.locator("button[type=submit]").click()
    page.wait_for_load_state()
    context.clear_cookies()
    page.goto(f"{site.url}/c/{merchant}")
    page.fill("[data-testid=amount]", "2,120.00")
    page.fill("[data-testid=last4]", "0218")
    page.fill("[data-testid=description]", "收了 2120 元，应为 212 元")
    page.click("form.complaint-form button[type=submit]")
    page.wait_for_load_state()
    context.close()
    return site


@pytest.mark.parametrize("english", [False, True], ids=["zh", "en"])
def test_every_page_has_no_serious_accessibility_violation(with_complaint_and_dispute: DemoSite, chromium: Any,
                                                           english: bool) -> None:
    site = with_complaint_and_dispute
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.goto(site.url + "/login")
    problems += [f"/login (logged out): {v}" for v in axe_violations(page)]
    log_in(page, site.url, "admin", english=english)
    merchant = merchant_of(page, site.url)
    found: dict[str, str] = {}
    for path in (*MENU_PAGES, f"/ledger/{merchant}"):
        problems += check(page, site.url, path)
        new_details(page, found)
    assert {"case", "transaction", "terminal", "merchant", "user", "complaint", "dispute"} <= found.keys(), found
    for path in sorted(found.values()):
        problems += check(page, site.url, path)
    public = context.new_page()  # the payer's page, not logged in
    public.context.clear_cookies()
    public.goto(f"{site.url}/c/{merchant}")
    problems += [f"/c/{merchant}: {violation}" for violation in axe_violations(public)]
    context.close()
    assert not problems, "\n".join(problems)


def test_the_keyboard_alone_logs_in_and_reaches_the_case_forms_button(site: DemoSite, chromium: Any) -> None:
    context = chromium.new_context()
    page = context.new_page()
    page.goto(site.url + "/login")
    page.focus("input[name=username]")
    page.keyboard.type("finance")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "password"
    page.keyboard.type("recoup-demo-2026")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    page.wait_for_url(lambda address: "/login" not in address)
    page.goto(site.url + "/cases")
    case = page.eval_on_selector("a[href^='/cases/RC-']", "a => a.getAttribute('href')")
    page.goto(site.url + case)
    first_form = page.locator("main form:not([method=get])").first
    first_field = first_form.locator("input:not([type=hidden]), select, textarea, button").first
    first_field.focus()
    submit = first_form.locator("button[type=submit], button:not([type])").first
    for _ in range(30):  # Tab through the form's fields until its submit button holds the focus
        if submit.evaluate("button => button === document.activeElement"):
            break
        page.keyboard.press("Tab")
    assert submit.evaluate("button => button === document.activeElement"), "the form's button is not reachable"
    context.close()
