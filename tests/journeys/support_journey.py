"""What the role journeys (test_role_journeys.py) share: their own copy of the demo site (they change data, so
they do not serve the read-only copy the crawl and the accessibility check share), and a `Journey`, one
person's walk in Chromium that keeps a screenshot of every step and collects what a person would notice
going wrong on the way: a console error, an uncaught script error, a 4xx/5xx answer not provoked on purpose,
an app code left untranslated on a Chinese page."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.demo_cache import serve_demo
from tests.web.test_one_language import ALLOWED_ENGLISH, CODE_WORD, ENGLISH_SENTENCE, USER_DATA
from tests.web.vendor.demo_site import DEMO_PASSWORD, DemoSite

IGNORED_ANSWERS = ("/favicon.ico",)
EXTRA_NAMES = ("Newland ME31", "PAX A920", "Mastercard", "Visa")  # terminal models and schemes of the demo




@contextmanager
def serve_own_demo(base: Path) -> Iterator[DemoSite]:
    """The demo (built once per process) copied to a folder of this module's own, served on loopback."""
    with serve_demo(base, base / "journeys-var") as site:
        yield site


def artefact_dir(tmp_path: Path, role: str) -> Path:
    """Where a journey's screenshots are kept: $RECOUP_ARTEFACTS/journeys/<role> if set, else the test's tmp."""
    root = os.environ.get("RECOUP_ARTEFACTS")
    folder = Path(root) / "journeys" / role if root else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Journey:
    """One person's walk through the pages (a Playwright page of its own browser context)."""

    page: Any
    origin: str
    shots: Path
    problems: list[str] = field(default_factory=list)
    expected: list[tuple[int, str]] = field(default_factory=list)  # (status, path) provoked on purpose
    provoked: list[tuple[int, str]] = field(default_factory=list)  # the expected refusals that happened
    taken: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.set_default_timeout(20_000)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"{self.path}: uncaught script error {error}"))
        self.page.on("response", self._answer)

    @property
    def path(self) -> str:
        return str(self.page.url).removeprefix(self.origin)

    def _console(self, message: Any) -> None:
        source = str(message.location.get("url", "")).removeprefix(self.origin).split("?")[0]
        provoked = {path for _status, path in self.provoked}
        if message.type == "error" and source not in IGNORED_ANSWERS and source not in provoked:
            self.problems.append(f"{self.path}: console error {message.text}")

    def _answer(self, answer: Any) -> None:
        if answer.status < 400 or not answer.url.startswith(self.origin):
            return
        path = answer.url.removeprefix(self.origin).split("?")[0]
        if path in IGNORED_ANSWERS:
            return
        if (answer.status, path) in self.expected:
            self.expected.remove((answer.status, path))
            self.provoked.append((answer.status, path))
            return
        self.problems.append(f"{answer.request.method} {path}: HTTP {answer.status}")

    def log_in(self, username: str) -> None:
        self.page.goto(f"{self.origin}/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", DEMO_PASSWORD)
        self.page.click("form[action='/login'] button[type=submit]")
        self.page.wait_for_url(lambda address: "/login" not in address)

    def go(self, path: str) -> None:
        self.page.goto(self.origin + path)

    def english(self) -> None:
        """Switch to English with the menu's language button (the page stays where it is)."""
        with self.page.expect_navigation():
            self.page.click("[data-testid=lang-en]")
        assert "current" in str(self.page.get_attribute("[data-testid=lang-en]", "class")), "still in Chinese"

    def step(self, name: str, *, chinese: bool = True) -> str:
        """Keep a screenshot of the page as it is; on a Chinese page, no app code may show. Returns the text."""
        self.page.wait_for_load_state()
        number = len(self.taken) + 1
        self.page.screenshot(path=str(self.shots / f"{number:02d}-{name}.png"), full_page=True)
        self.taken.append(name)
        text = str(self.page.inner_text("body"))
        if chinese:
            codes = sorted(set(CODE_WORD.findall(text)))
            if codes:
                self.problems.append(f"{self.path} ({name}): untranslated codes {codes}")
            english = sorted(set(ENGLISH_SENTENCE.findall(_without_names(text))))
            if english:
                self.problems.append(f"{self.path} ({name}): English on a Chinese page {english}")
        return text

    def text(self, selector: str) -> str:
        return str(self.page.inner_text(selector)).strip()

    def submit(self, button: str) -> None:
        """Click a form's button and wait for the page the server answers with."""
        with self.page.expect_navigation():
            self.page.click(button)

    def post_forms(self) -> list[str]:
        """The POST forms of the page, by their action, but the menu's language and log-out forms."""
        actions = self.page.eval_on_selector_all(
            "form", "forms => forms.filter(f => (f.getAttribute('method') || '').toLowerCase() === 'post')"
                    ".map(f => f.getAttribute('action'))")
        return [str(action) for action in actions if action not in ("/lang", "/logout")]

    def finish(self) -> None:
        """Nothing went wrong on the way, and every refusal provoked on purpose did happen."""
        assert not self.problems, "\n".join(self.problems)
        assert not self.expected, f"refusals that did not happen: {self.expected}"


def _without_names(text: str) -> str:
    """The page's text without the names of things and what people typed (English by nature)."""
    for name in (*USER_DATA, *ALLOWED_ENGLISH, *EXTRA_NAMES):
        text = text.replace(name, " ")
    return text


CASE_NUMBER = re.compile(r"RC-\d{4}-\d{6}")
