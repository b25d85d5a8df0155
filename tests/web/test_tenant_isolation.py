"""A user of tenant A gets 404 for every object of tenant B, through every API route there is.

The routes come from the application's route table, so a new route is covered (or fails this test
until its path parameter is known here) without anyone remembering to add it.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from tests.support.factories import OBJECTS, World, token_for
from tests.web.test_authorization_matrix import JSON_BODIES, UPLOADS

from recoup.auth.roles import Role
from recoup.config import Settings
from recoup.web.app import create_app

# How to name tenant B's object for each path parameter any route uses.
# Journal lines, cases and recovery actions come from the `objects_of_both` fixture: tenant A's get id 1,
# tenant B's id 2.
ID_OBJECTS = ("journal_id", "case_id", "action_id", "dispute_id", "run_id", "item_id", "complaint_id")
# Path parameters that name no tenant's object (a message template's key and language: each tenant has its own).
NOT_OBJECTS = {"key": "apology", "locale": "en"}
B_OBJECTS = {"merchant_id": OBJECTS["B"][0], "terminal_id": OBJECTS["B"][1], **dict.fromkeys(ID_OBJECTS, "2"),
             # a token prefix: DELETE /tokens/{prefix} looks among the caller's own tokens only (another user's
             # real token answers 404 too: tests/auth/test_tokens.py)
             "prefix": "rcp_tenantB0", **NOT_OBJECTS}
OWN_OBJECTS = {"merchant_id", "terminal_id", "journal_id", "case_id", "action_id", "prefix"}
OPEN_ROUTES = {("POST", "/api/v1/auth/login")}
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def _api_routes() -> list[tuple[str, str]]:
    # From the OpenAPI document: FastAPI wraps included routers, so app.routes holds no APIRoute.
    app = create_app(Settings(database_url="sqlite:///:memory:"))
    found: list[tuple[str, str]] = []
    for path, operations in app.openapi()["paths"].items():
        if path.startswith("/api/v1"):
            found.extend((method.upper(), path) for method in sorted(operations) if method in HTTP_METHODS)
    return found


ROUTES = _api_routes()


def test_every_path_parameter_is_known() -> None:
    assert len(ROUTES) > 10, "the API routes were not found: this test would check nothing"
    for _, path in ROUTES:
        for name in re.findall(r"{(\w+)}", path):
            assert name in B_OBJECTS, f"add tenant B's object for {{{name}}} (route {path}) to this test"


@pytest.fixture
def objects_of_both(world: World) -> None:
    """A journal line and a case with a recovery action for tenant A (ids 1) and for tenant B (ids 2)."""
    from datetime import UTC, date, datetime

    from recoup.auth.models import User
    from recoup.auth.service import principal_for
    from recoup.cases.opening import OpenRequest, open_case
    from recoup.recovery.plans import ActionRequest
    from recoup.recovery.service import perform
    from recoup.transactions.models import JournalLine

    for code in ("A", "B"):
        merchant_id, terminal_id = OBJECTS[code]
        with world.database.unit_of_work() as session:
            session.add(JournalLine(tenant_id=world.tenants[code].id, merchant_id=merchant_id, terminal_id=terminal_id,
                                    txn_time=datetime(2026, 10, 12, 2, 0, tzinfo=UTC), local_date=date(2026, 10, 12),
                                    txn_type="SALE", status="APPROVED", amount_minor=1000, currency="CNY",
                                    rrn=f"10000000000{code}", stan="000001"))
            user = session.query(User).filter_by(username=World.username(code, Role.ADMIN)).one()
            who = principal_for(session, user, "test")
            number = open_case(session, who, OpenRequest(merchant_id=merchant_id, amount="10.00")).number
        perform(world.database, who, number, ActionRequest("TRANSFER", "1.00", purpose="recovery"), f"iso-{code}")


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES
                                              if set(re.findall(r"{(\w+)}", r[1])) - set(NOT_OBJECTS)])
def test_tenant_a_cannot_reach_tenant_b(client: TestClient, world: World, objects_of_both: None, method: str,
                                        path: str) -> None:
    token = token_for(world.database, World.username("A", Role.ADMIN))
    url = re.sub(r"{(\w+)}", lambda m: B_OBJECTS[m.group(1)], path)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"isolation-{method}-{path}"[:120]}
    relative = path.removeprefix("/api/v1")
    if relative in UPLOADS:
        answer = client.request(method, url, headers=headers, data={"kind": "photo"},
                                files={"file": ("slip.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")})
    else:
        answer = client.request(method, url, headers=headers, json=JSON_BODIES.get(relative, {"reason": "x"}))
    assert answer.status_code == 404, (method, url, answer.text)
    a_objects = {"merchant_id": OBJECTS["A"][0], "terminal_id": OBJECTS["A"][1], **dict.fromkeys(ID_OBJECTS, "1"),
                 "prefix": token[:12]}
    own = re.sub(r"{(\w+)}", lambda m: a_objects[m.group(1)], path)
    if method == "GET" and set(re.findall(r"{(\w+)}", path)) <= OWN_OBJECTS:  # tenant A has these (ids 1)
        assert client.get(own, headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_every_route_needs_a_token(client: TestClient, world: World) -> None:
    """Each route in turn, on one app (an app and a world per route cost most of a second each, for a 401)."""
    guarded = [route for route in ROUTES if route not in OPEN_ROUTES]
    assert len(guarded) > 10, "the API routes were not found: this test would check nothing"
    answered = []
    for method, path in guarded:
        url = re.sub(r"{(\w+)}", lambda m: B_OBJECTS[m.group(1)], path)
        status = client.request(method, url).status_code
        if status != 401:
            answered.append(f"{method} {url}: {status}")
    assert not answered, "answered without a token:\n" + "\n".join(answered)


def test_lists_hold_only_the_callers_tenant(client: TestClient, world: World) -> None:
    token = token_for(world.database, World.username("A", Role.ADMIN))
    headers = {"Authorization": f"Bearer {token}"}
    for path, key in (("/api/v1/merchants", "merchant_id"), ("/api/v1/terminals", "terminal_id")):
        ids = {item[key] for item in client.get(path, headers=headers).json()}
        assert ids == {OBJECTS["A"][0] if key == "merchant_id" else OBJECTS["A"][1]}
