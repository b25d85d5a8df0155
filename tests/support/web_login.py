"""Logging in to the pages in tests: one way for every test file (the cookie session, its CSRF token, the
page language), through the real login form as a person would."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from tests.support.factories import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: str) -> str:
    """The CSRF token of a page's forms."""
    found = _CSRF.search(page)
    assert found is not None, "the page has no form with a csrf_token"
    return found.group(1)


def try_log_in(client: TestClient, username: str, password: str = PASSWORD) -> int:
    """Post the login form once; the answer's status (303: logged in)."""
    form = {"username": username, "password": password, "csrf_token": csrf_of(client.get("/login").text)}
    return int(client.post("/login", data=form, follow_redirects=False).status_code)


def log_in(client: TestClient, username: str, locale: str | None = None, *, page: str = "/",
           password: str = PASSWORD) -> str:
    """Log in (it must succeed), choose the page language when `locale` is given ("zh_CN" or "en"), and
    return the session's CSRF token as `page` (which must open) carries it."""
    status = try_log_in(client, username, password)
    assert status == 303, f"{username} could not log in ({status})"
    if locale is not None:
        chosen = client.post("/lang", data={"locale": locale, "next": page,
                                            "csrf_token": csrf_of(client.get(page).text)}, follow_redirects=False)
        assert chosen.status_code in (302, 303), chosen.status_code
    shown = client.get(page)
    assert shown.status_code == 200, f"{page}: {shown.status_code}"
    return csrf_of(shown.text)
