"""Every link works (issue 12): each demo role, in Chinese, logs in and follows every same-origin link the pages
show it (GET only), one page per kind of address and at most MAX_PAGES per role. A kind is the app's route (a
case, a user, an import job stand for all of theirs: the route table says which addresses are one page) and,
for a list, each of paging, sorting and filtering once (a link that only combines kinds already seen is not
followed). A link shown to a role must work for it: any 4xx/5xx answer (a 403 behind a shown link too), any
console error and any uncaught script error fails, naming the page that linked."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from tests.support.demo_cache import serve_demo
from tests.web.vendor.demo_site import ROLES, DemoSite, log_in

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


def _page_routes() -> list[tuple[re.Pattern[str], str]]:
    """The app's GET routes as (pattern, template): fixed paths first, so /complaints/new is not a complaint."""
    from fastapi.routing import iter_route_contexts

    from recoup.config import Settings
    from recoup.web.app import create_app

    with tempfile.TemporaryDirectory() as folder:  # the app sweeps its data folder's uploads: not the real one
        app = create_app(Settings(database_url="sqlite:///:memory:", var_dir=Path(folder)))
        templates = {context.path for context in iter_route_contexts(app.routes)
                     if context.path and "GET" in (context.methods or ())}
    ordered = sorted(templates, key=lambda template: ("{" in template, template))
    return [(re.compile(re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template))), template) for template in ordered]


PAGE_ROUTES = _page_routes()


def kinds_of(path_and_query: str) -> set[str]:
    """What following a link would check: its route, and its route with each of paging, sorting and filtering
    it uses. A link is followed when one of these is new for the role."""
    parts = urlsplit(path_and_query)
    route = next((template for pattern, template in PAGE_ROUTES if pattern.fullmatch(parts.path)), shape(parts.path))
    names = {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
    kinds = (names & PAGING) | ({"filter"} if names - PAGING else set())
    return {route} | {f"{route}?{kind}" for kind in kinds}


def is_file(path: str, download: bool) -> bool:
    return download or urlsplit(path).path.lower().endswith(FILE_SUFFIXES)


class Crawl:
    """One role's walk: the pages to visit (breadth first), the shapes seen, and every failure found."""

    def __init__(self, page: Any, origin: str) -> None:
        self.page, self.origin = page, origin
        self.queue: list[tuple[str, str, bool]] = [("/", "(start)", False)]
        self.seen: set[str] = kinds_of("/")
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
        if kinds_of(target) - self.seen:
            self.seen |= kinds_of(target)
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


def test_a_route_is_one_kind_and_each_way_of_listing_is_followed_once() -> None:
    assert kinds_of("/admin/users/finance") == kinds_of("/admin/users/auditor") == {"/admin/users/{username}"}
    assert kinds_of("/admin/users/new") == {"/admin/users/new"}
    assert kinds_of("/complaints/new") != kinds_of("/complaints/12")
    assert kinds_of("/cases?sort=-opened&page=2") == {"/cases", "/cases?page", "/cases?sort"}
    assert kinds_of("/cases?kind=OVERCHARGE&page=3") == {"/cases", "/cases?page", "/cases?filter"}
    seen = kinds_of("/cases?page=2") | kinds_of("/cases?sort=kind")
    assert not kinds_of("/cases?page=9&sort=-opened") - seen  # only combines kinds seen: not followed
