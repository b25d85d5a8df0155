"""Helpers of the login tests: a clock the app reads (no sleeping), logging in through the page and the API."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.support.factories import PASSWORD, World

from recoup.audit.models import AuditEntry
from recoup.web.deps import current_time

# Any fixed moment: the tests move this clock, never the machine's.
T0 = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
ADMIN = "a-admin"


@dataclass
class Clock:
    now: datetime = T0

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def install_clock(client: TestClient) -> Clock:
    clock = Clock()
    app = client.app
    assert isinstance(app, FastAPI)
    app.dependency_overrides[current_time] = lambda: clock.now
    return clock


def csrf(client: TestClient, path: str = "/login") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found is not None, path
    return found.group(1)


def web_login(client: TestClient, username: str = ADMIN, password: str = PASSWORD) -> int:
    """POST the login form as a browser does; the status (303 when logged in)."""
    answer = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf(client),
                                         "next": "/"}, follow_redirects=False)
    return answer.status_code


def api_login(client: TestClient, username: str = ADMIN, password: str = PASSWORD) -> tuple[int, dict[str, object]]:
    answer = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    return answer.status_code, answer.json()


def logged_in(client: TestClient) -> bool:
    """Whether the browser's cookie opens the dashboard (a redirect to /login when not)."""
    return client.get("/", follow_redirects=False).status_code == 200


def audited(world: World, action: str) -> list[AuditEntry]:
    with world.database.unit_of_work() as session:
        return list(session.execute(select(AuditEntry).where(AuditEntry.action == action)
                                    .order_by(AuditEntry.seq)).scalars())
