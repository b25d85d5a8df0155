"""Every link works (issue 12): each demo role, in Chinese, logs in and follows every same-origin link the pages
show it (GET only), one page per kind of address (a case, a page of a list, a sort order stand for all of their
kind) and at most MAX_PAGES per role. A link shown to a role must work for it: any 4xx/5xx answer (a 403
behind a shown link too), any console error and any uncaught script error fails, naming the page that linked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from tests.web.vendor.demo_site import (
    ROLES,
    DemoSite,
    log_in,
    serve_demo,
)

pytestmark = pytest.mark.browser

MAX_PAGES = 150
PAGING = {"page", "sort"}
FILE_SUFFIXES = (".pdf", ".zip", ".csv", ".xlsx", ".png", ".jpg", ".jpeg", ".json", ".txt")
FILES_FETCHED: set[str] = set()  # the file downloads checked, by shape, across roles (they are slow to build)
LINKS = """() => [...document.querySelectorAll('a[href]')].map(a => ({
  href: a.href, download: a.hasAttribute('download'), target: a.getAttribute('target') || ''}))"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    with serve_demo(tmp_path_factory.getbasetemp()) as served:
        yield served




def shape(path_and_query: str) -> str:
    """The kind of address: numbers and case numbers in the path stand for any; of the query only whether it
    pages, sorts or filters counts (every filter of a list is one kind of page, not one per combination)."""
    parts = urlsplit(path_and_query)
    path = re.sub(r"RC-\d{4}-\d+", "{case}", parts.path)
    path = re.sub(r"/\d+(?=/|$)", "/{n}", path)
    names = {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
    kinds = sorted(names & PAGING) + (["filter"] if names - PAGING else [])
    return path + ("?" + "&".join(kinds) if kinds else "")


def is_file(path: str, download: bool) -> bool:
    return download or urlsplit(path).path.lower().endswith(FILE_SUFFIXES)


class Crawl:
    """One role's walk: the pages to visit (breadth first), the shapes seen, and every failure found."""

    def __init__(self, page: Any, origin: str) -> None:
        self.page, self.origin = page, origin
        self.queue: list[tuple[str, str, bool]] = [("/", "(start)", False)]
        self.seen: set[str] = {shape("/")}
        self.failures: list[str] = []
        self.visited = 0
        self.where = "/"
        page.on("console", lambda message: self._console(message))
        page.on("pageerror", lambda error: self.failures.append(f"{self.where}: uncaught script error: {error}"))

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.failures.append(f"{self.where}: console error: {message.text}")

    def run(self) -> None:
        while self.queue and self.visited < MAX_PAGES:
            path, linked_from, download = self.queue.pop(0)
            self.visited += 1
            self.where = path
            if is_file(path, download):
                self._fetch(path, linked_from)
            else:
                self._visit(path, linked_from)

    def _fetch(self, path: str, linked_from: str) -> None:
        if shape(path) in FILES_FETCHED:  # a report or bundle is built once: one role's download stands for all
            return
        FILES_FETCHED.add(shape(path))
        answer = self.page.context.request.get(self.origin + path, max_redirects=5)
        if answer.status >= 400:
            self.failures.append(f"{path} (linked from {linked_from}): HTTP {answer.status}")

    def _visit(self, path: str, linked_from: str) -> None:
        try:
            answer = self.page.goto(self.origin + path)
        except Exception as error:  # a link that starts a download is a file, not a page
            if "Download is starting" in str(error):
                self._fetch(path, linked_from)
                return
            raise
        if answer is None or answer.status >= 400:
            self.failures.append(f"{path} (linked from {linked_from}): HTTP {answer and answer.status}")
            return
        if urlsplit(self.page.url).path == "/login":
            self.failures.append(f"{path} (linked from {linked_from}): sent to the login page")
            return
        for link in self.page.evaluate(LINKS):
            self._add(link, path)

    def _add(self, link: dict[str, Any], linked_from: str) -> None:
        parts = urlsplit(link["href"])
        if f"{parts.scheme}://{parts.netloc}" != self.origin or "logout" in parts.path:
            return
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if shape(target) not in self.seen:
            self.seen.add(shape(target))
            self.queue.append((target, linked_from, bool(link["download"])))


@pytest.mark.parametrize("role", ROLES)
def test_every_link_a_role_is_shown_works(site: DemoSite, chromium: Any, role: str) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, site.url, role)
    crawl = Crawl(page, site.url)
    crawl.run()
    context.close()
    assert crawl.visited >= 8, f"{role} reached only {crawl.visited} pages: the menu is missing"
    assert not crawl.failures, f"{role} ({crawl.visited} pages):\n" + "\n".join(crawl.failures)


def test_shapes_stand_for_their_kind() -> None:
    assert shape("/cases/RC-2026-000120") == shape("/cases/RC-2026-000001") == "/cases/{case}"
    assert shape("/cases?sort=-opened&page=2") == shape("/cases?page=9&sort=kind") == "/cases?page&sort"
    assert shape("/transactions?rrn=1&merchant=2") == shape("/transactions?terminal=3") == "/transactions?filter"
    assert shape("/ledger/898305055411469") == "/ledger/{n}"
    assert shape("/admin/users/finance") != shape("/admin/users")
