from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.support.factories import OBJECTS, PASSWORD, World, token_for

from recoup.audit.models import AuditEntry
from recoup.merchants.models import Terminal


def _login(client: TestClient, username: str = "a-admin") -> None:
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    answer = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf.group(1),
                                         "next": "/"}, follow_redirects=False)
    assert answer.status_code == 303


def _csrf(client: TestClient, path: str = "/") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def test_unknown_route_api_and_page(client: TestClient, world: World) -> None:
    api = client.get("/api/v1/nothing-here")
    assert api.status_code == 404
    assert set(api.json()) == {"error", "detail"}
    page = client.get("/nothing-here")
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]
    assert "Traceback" not in page.text


def test_malformed_json_is_a_clear_422(client: TestClient, world: World) -> None:
    answer = client.post("/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"})
    assert answer.status_code == 422
    assert answer.json()["error"] == "malformed JSON in the request body"


def test_oversized_body_is_refused(client: TestClient, world: World) -> None:
    big = b'{"username": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    answer = client.post("/api/v1/auth/login", content=big, headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert answer.json()["error"] == "The request is too large: at most 1 MiB may be sent to this address."


def test_form_without_csrf_is_refused_and_changes_nothing(client: TestClient, world: World) -> None:
    _login(client)
    answer = client.post(f"/terminals/{OBJECTS['A'][1]}/stop", data={"reason": "test"})
    assert answer.status_code == 403
    assert "CSRF" in answer.text
    with world.database.unit_of_work() as session:
        assert session.get(Terminal, OBJECTS["A"][1]).stopped is False  # type: ignore[union-attr]


def test_wrong_password_page_and_no_session(client: TestClient, world: World) -> None:
    csrf = _csrf(client, "/login")
    answer = client.post("/login", data={"username": "a-admin", "password": "bad-bad-bad", "csrf_token": csrf})
    assert answer.status_code == 401
    assert client.get("/", follow_redirects=False).status_code == 303


def test_expired_or_forged_session_goes_to_login(client: TestClient, world: World) -> None:
    client.cookies.set("recoup_session", "forged.cookie.value")
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")


def test_stop_and_restart_through_the_pages_is_audited(client: TestClient, world: World) -> None:
    _login(client, "a-merchant_finance")
    terminal = OBJECTS["A"][1]
    stopped = client.post(f"/terminals/{terminal}/stop", data={"reason": "疑似多收", "csrf_token": _csrf(client)})
    assert stopped.status_code == 200
    token = token_for(world.database, "a-cashier")
    status = client.get(f"/api/v1/terminals/{terminal}/status", headers={"Authorization": f"Bearer {token}"})
    assert status.json()["status"] == "STOPPED"
    restarted = client.post(f"/terminals/{terminal}/restart", data={"reason": "核实无误", "csrf_token": _csrf(client)})
    assert restarted.status_code == 200
    with world.database.unit_of_work() as session:
        actions = list(session.execute(select(AuditEntry.action).where(AuditEntry.object_id == terminal)).scalars())
        assert actions == ["terminal.stop", "terminal.restart"]
        assert session.execute(select(func.count()).select_from(AuditEntry)).scalar_one() > 2


def test_cashier_may_stop_but_not_restart(client: TestClient, world: World) -> None:
    token = token_for(world.database, "a-cashier")
    headers = {"Authorization": f"Bearer {token}"}
    terminal = OBJECTS["A"][1]
    assert client.post(f"/api/v1/terminals/{terminal}/stop", json={"reason": "x"}, headers=headers).status_code == 200
    refused = client.post(f"/api/v1/terminals/{terminal}/restart", json={"reason": "y"}, headers=headers)
    assert refused.status_code == 403
