"""Every page works under the Content-Security-Policy (issue 10, defect 11): each role's main pages, the case
page, the payer's page and slip load in Chromium without one policy violation, styled and scripted as before."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.cases.test_case_world import overcharge_case
from tests.recovery.test_payment_pages import _payment
from tests.support.factories import PASSWORD, World

from recoup.auth.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
MAIN_PAGES = ("/", "/findings", "/cases", "/terminals", "/transactions", "/imports", "/no-such-page")
WATCH_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (event) => {
  const seen = JSON.parse(sessionStorage.getItem("csp-violations") || "[]");
  seen.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " on " + location.pathname);
  sessionStorage.setItem("csp-violations", JSON.stringify(seen));
});"""


class Watched:
    """A browser page that notes every policy violation and script error it sees."""

    def __init__(self, browser: object) -> None:
        self.page = browser.new_page()  # type: ignore[attr-defined]
        self.problems: list[str] = []
        self.page.add_init_script(WATCH_VIOLATIONS)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))

    def _console(self, message: object) -> None:
        text = str(message.text)  # type: ignore[attr-defined]
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.problems.append(text)

    def violations(self) -> list[str]:
        seen = self.page.evaluate("JSON.parse(sessionStorage.getItem('csp-violations') || '[]')")
        return [*self.problems, *seen]

    def log_in(self, base: str, username: str) -> None:
        self.page.goto(f"{base}/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("form[action='/login'] button[type=submit]")
        self.page.wait_for_url(f"{base}/")


@pytest.fixture
def watched(browser: object) -> Iterator[Watched]:
    page = Watched(browser)
    yield page
    page.page.close()


def test_the_watch_sees_a_violation_when_there_is_one(live_url: str, watched: Watched) -> None:
    watched.page.goto(f"{live_url}/login")
    watched.page.evaluate("""() => { const s = document.createElement("script");
        s.textContent = "window.ranInline = true"; document.body.appendChild(s); }""")
    watched.page.wait_for_timeout(200)
    assert watched.page.evaluate("window.ranInline === undefined")  # the policy blocked it
    assert any("script-src" in problem for problem in watched.violations())


@pytest.mark.parametrize("role", list(Role))
def test_each_roles_main_pages_load_without_a_policy_violation(live_url: str, watched: Watched, world: World,
                                                               role: Role) -> None:
    number = overcharge_case(world)
    watched.log_in(live_url, World.username("A", role))
    for path in (*MAIN_PAGES, f"/cases/{number}"):
        watched.page.goto(f"{live_url}{path}")
        watched.page.wait_for_load_state("load")
    assert watched.page.evaluate("typeof htmx") == "object"
    assert watched.violations() == []


def test_the_pages_keep_their_look_and_behaviour(live_url: str, watched: Watched, world: World) -> None:
    _, token = _payment(world)
    page = watched.page
    watched.log_in(live_url, World.username("A", Role.ADMIN))
    page.goto(f"{live_url}/transactions")
    assert page.eval_on_selector("[data-testid=search-form] .search-fields",
                                 "fields => getComputedStyle(fields).display") == "grid"
    page.goto(f"{live_url}/imports")
    assert page.eval_on_selector("input[name=skip_bad_rows]", "box => box.getBoundingClientRect().width") < 40
    page.goto(f"{live_url}/pay/{token}")
    page.goto(f"{live_url}/pay/{token}/slip")
    assert page.eval_on_selector(".amount", "amount => getComputedStyle(amount).fontWeight") == "700"
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.click("[data-testid=slip-print]")
    assert page.evaluate("window.printed") == 1
    assert page.url.endswith("/slip")  # the link printed, it did not navigate to "#"
    assert watched.violations() == []
