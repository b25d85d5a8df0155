"""Who may call what: every API route and page, generated from the application's route table.

Each route has one decision here: open to anyone, any logged-in user, or one permission of
recoup.auth.roles. A route the app has and this table does not (or the other way round) fails
`test_every_route_has_a_decision`, so a new route cannot ship without one. Then every route is called
without credentials, as every role of tenant A, on tenant B's objects and on another merchant's objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.support.factories import FACTORY, OBJECTS, PASSWORD, World, token_for
from tests.support.journals import csv_bytes
from tests.web.access import MODULES as ACCESS_MODULES

from recoup.auth.models import User
from recoup.auth.roles import Permission, Role, may
from recoup.auth.service import add_user, principal_for
from recoup.cases.models import Case
from recoup.merchants.models import Merchant, Terminal
from recoup.recovery.models import RecoveryAction
from recoup.transactions.models import JournalLine
from recoup.web.app import API_ROUTERS, WEB_ROUTERS

P = Permission
OPEN, USER = "open", "user"
A2_MERCHANT, A2_TERMINAL = "898301054119999", "61029999"

API: dict[tuple[str, str], str | Permission] = {
    ("POST", "/auth/login"): OPEN,
    ("GET", "/me"): USER,
    ("GET", "/users"): P.MANAGE_USERS,
    ("GET", "/merchants"): P.READ,
    ("GET", "/merchants/{merchant_id}"): P.READ,
    ("GET", "/terminals"): P.READ,
    ("GET", "/terminals/{terminal_id}"): P.READ,
    ("GET", "/terminals/{terminal_id}/status"): P.READ,
    ("POST", "/terminals/{terminal_id}/stop"): P.STOP_TERMINAL,
    ("POST", "/terminals/{terminal_id}/restart"): P.RESTART_TERMINAL,
    ("GET", "/audit/entries"): P.READ_AUDIT,
    ("GET", "/audit/verify"): P.READ_AUDIT,
    ("POST", "/imports"): P.IMPORT,
    ("GET", "/imports"): P.READ,
    ("GET", "/transactions"): P.READ,
    ("GET", "/transactions/{journal_id}"): P.READ,
    ("GET", "/cases"): P.READ,
    ("POST", "/cases"): P.WORK_CASES,
    ("GET", "/cases/{case_id}"): P.READ,
    ("POST", "/cases/{case_id}/move"): P.WORK_CASES,
    ("POST", "/cases/{case_id}/assign"): P.WORK_CASES,
    ("POST", "/cases/{case_id}/escalate"): P.WORK_CASES,
    ("POST", "/cases/{case_id}/notes"): P.WORK_CASES,
    ("POST", "/cases/{case_id}/close"): P.WORK_CASES,
    ("POST", "/cases/{case_id}/reopen"): P.WORK_CASES,
    ("GET", "/ladder"): P.READ,
    ("PUT", "/ladder"): P.MANAGE_MERCHANTS,
    ("POST", "/cases/{case_id}/actions"): P.MOVE_MONEY,
    ("GET", "/cases/{case_id}/actions"): P.READ,
    ("POST", "/cases/{case_id}/actions/{action_id}/confirm"): P.MOVE_MONEY,
    ("GET", "/merchants/{merchant_id}/balance"): P.READ,
    ("GET", "/qr-account"): P.READ,
    ("PUT", "/qr-account"): P.MANAGE_MERCHANTS,
    ("DELETE", "/qr-account"): P.MANAGE_MERCHANTS,
    ("GET", "/findings"): P.READ,
    ("GET", "/reports/summary"): P.READ,
    ("GET", "/tokens"): USER,
    ("DELETE", "/tokens/{prefix}"): USER,
}
PAGES: dict[tuple[str, str], str | Permission] = {
    ("GET", "/healthz"): OPEN,
    ("GET", "/readyz"): OPEN,
    ("GET", "/login"): OPEN,
    ("POST", "/login"): OPEN,
    ("POST", "/logout"): OPEN,
    ("POST", "/lang"): OPEN,
    ("GET", "/pay/{token}"): OPEN,
    ("GET", "/pay/{token}/slip"): OPEN,
    ("GET", "/pay/{token}/qr.svg"): OPEN,
    ("GET", "/"): P.READ,
    ("GET", "/terminals"): P.READ,
    ("GET", "/terminals/{terminal_id}"): P.READ,
    ("POST", "/terminals/{terminal_id}/stop"): P.STOP_TERMINAL,
    ("POST", "/terminals/{terminal_id}/restart"): P.RESTART_TERMINAL,
    ("GET", "/imports"): P.READ,
    ("POST", "/imports"): P.IMPORT,
    ("POST", "/imports/jobs"): P.IMPORT,
    ("GET", "/imports/jobs/{job_id}"): P.READ,
    ("GET", "/transactions"): P.READ,
    ("GET", "/transactions/{journal_id}"): P.READ,
    ("GET", "/settlement/{settlement_id}"): P.READ,
    ("GET", "/cases"): P.READ,
    ("GET", "/cases/{case_id}"): P.READ,
    ("POST", "/cases"): P.WORK_CASES,
    ("POST", "/cases/{case_id}/move"): P.WORK_CASES,
    ("POST", "/cases/{case_id}/reopen"): P.WORK_CASES,
    ("POST", "/cases/{case_id}/escalate"): P.WORK_CASES,
    ("POST", "/cases/{case_id}/assign"): P.WORK_CASES,
    ("POST", "/cases/{case_id}/notes"): P.WORK_CASES,
    ("POST", "/cases/{case_id}/actions"): P.MOVE_MONEY,
    ("POST", "/cases/{case_id}/actions/{action_id}/confirm"): P.MOVE_MONEY,
    ("GET", "/findings"): P.READ,
    ("GET", "/reports"): P.READ,
    ("GET", "/reports/export.xlsx"): P.READ,
    ("GET", "/reports/export.pdf"): P.READ,
    ("GET", "/reports/export.csv"): P.READ,
    ("GET", "/account/password"): USER,
    ("POST", "/account/password"): USER,
}
# Bodies that pass validation, so that what answers is the access decision, not a 422.
JSON_BODIES: dict[str, object] = {
    "/auth/login": {"username": "nobody", "password": "wrong-password"},
    "/cases": {"merchant_id": OBJECTS["A"][0], "amount": "1.00"},
    "/cases/{case_id}/move": {"state": "INVESTIGATING", "reason": "matrix"},
    "/cases/{case_id}/assign": {"username": "a-admin"},
    "/cases/{case_id}/actions": {"kind": "transfer", "amount": "0.01", "purpose": "recovery"},
    "/ladder": {},
    "/qr-account": {"tag": "15"},
}
UPLOADS = {"/imports", "/imports/jobs"}
for _domain in ACCESS_MODULES:  # the newer domains keep their decisions beside each other
    API |= _domain.API
    PAGES |= _domain.PAGES
    JSON_BODIES |= _domain.JSON_BODIES
    UPLOADS |= _domain.UPLOADS


def _routes(routers: list, prefix: str) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    found = set()
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                found |= {(method, prefix + route.path) for method in route.methods if method != "HEAD"}
    return found


def test_every_route_has_a_decision() -> None:
    api = _routes(API_ROUTERS, "")
    pages = _routes(WEB_ROUTERS, "")
    assert api - set(API) == set(), "API routes without an access decision: add them to API"
    assert set(API) - api == set(), "decisions for API routes that no longer exist"
    assert pages - set(PAGES) == set(), "pages without an access decision: add them to PAGES"
    assert set(PAGES) - pages == set(), "decisions for pages that no longer exist"


@dataclass
class Objects:
    """Ids of the objects each route's path names, per owner: tenant A's merchant, A's second merchant, B."""

    ids: dict[str, dict[str, str]]

    def url(self, owner: str, path: str) -> str:
        return re.sub(r"{(\w+)}", lambda m: self.ids[owner].get(m.group(1), "x" * 12), path)


def _objects_of(world: World, owner: str, tenant: str, merchant_id: str, terminal_id: str) -> dict[str, str]:
    from recoup.cases.opening import OpenRequest, open_case
    from recoup.recovery.plans import ActionRequest
    from recoup.recovery.service import perform

    with world.database.unit_of_work() as session:
        line = JournalLine(tenant_id=world.tenants[tenant].id, merchant_id=merchant_id, terminal_id=terminal_id,
                           txn_time=datetime(2026, 10, 12, 2, 0, tzinfo=UTC), local_date=date(2026, 10, 12),
                           txn_type="SALE", status="APPROVED", amount_minor=1000, currency="CNY",
                           rrn=f"20000000000{len(owner)}"[-12:], stan="000001")
        session.add(line)
        session.flush()
        admin = session.execute(select(User).where(User.username == World.username(tenant, Role.ADMIN))).scalar_one()
        who = principal_for(session, admin, "test")
        case = open_case(session, who, OpenRequest(merchant_id=merchant_id, amount="10.00"))
        number, journal_id = case.number, str(line.id)
    perform(world.database, who, number, ActionRequest("TRANSFER", "1.00", purpose="recovery"), f"matrix-{owner}")
    with world.database.unit_of_work() as session:
        case_id = session.execute(select(Case.id).where(Case.number == number)).scalar_one()
        action_id = session.execute(select(RecoveryAction.id).where(RecoveryAction.case_id == case_id)).scalar_one()
    return {"merchant_id": merchant_id, "terminal_id": terminal_id, "journal_id": journal_id,
            "settlement_id": "999999", "case_id": number, "action_id": str(action_id), "job_id": "no-such-job",
            "token": "no-such-payment-link", "prefix": "rcp_nothing0"}


@pytest.fixture
def objects(world: World) -> Objects:
    with world.database.unit_of_work() as session:
        tenant_a = world.tenants["A"].id
        session.add(Merchant(merchant_id=A2_MERCHANT, tenant_id=tenant_a, name="商户A2", mcc="5812"))
        session.flush()
        session.add(Terminal(terminal_id=A2_TERMINAL, merchant_id=A2_MERCHANT, tenant_id=tenant_a, model="PAX A920",
                             location="二楼"))
        add_user(session, FACTORY, tenant=world.tenants["A"], username="a2-cashier", password=PASSWORD,
                 role=Role.CASHIER, merchant_ids=[A2_MERCHANT])
    return Objects({
        "A": _objects_of(world, "A", "A", *OBJECTS["A"]),
        "A2": _objects_of(world, "A2", "A", A2_MERCHANT, A2_TERMINAL),
        "B": _objects_of(world, "B-", "B", *OBJECTS["B"]),
    })


def _api_call(client: TestClient, method: str, path: str, url: str, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    headers["Idempotency-Key"] = f"matrix-{method}-{url}-{token}"[:120].replace(" ", "")
    if path in UPLOADS:
        files = {"file": ("journal.csv", csv_bytes(), "text/csv")}
        return client.request(method, url, headers=headers, data={"kind": "journal"}, files=files).status_code
    body = JSON_BODIES.get(path, {"reason": "matrix"}) if method in ("POST", "PUT") else None
    return client.request(method, url, headers=headers, json=body).status_code


def _expected_ok(decision: str | Permission, role: Role) -> bool:
    return decision in (OPEN, USER) or may(role, Permission(decision))


def _against_decision(decision: str | Permission, role: Role, status: int) -> bool:
    """An open route may answer anything but a 5xx (a login with a wrong password is a 401)."""
    if status >= 500:
        return True
    if decision == OPEN:
        return False
    return status in (401, 403) if _expected_ok(decision, role) else status != 403


@pytest.mark.parametrize("role", list(Role))
def test_api_each_role_gets_exactly_what_its_permissions_allow(client: TestClient, world: World, objects: Objects,
                                                               role: Role) -> None:
    token = token_for(world.database, World.username("A", role))
    wrong = []
    for (method, path), decision in sorted(API.items()):
        status = _api_call(client, method, path, "/api/v1" + objects.url("A", path), token)
        if _against_decision(decision, role, status):
            wrong.append((method, path, status))
    assert wrong == [], f"{role.value}: routes answering against their decision"


def test_api_without_credentials_every_closed_route_answers_401(client: TestClient, world: World,
                                                                 objects: Objects) -> None:
    for (method, path), decision in sorted(API.items()):
        if decision != OPEN:
            status = _api_call(client, method, path, "/api/v1" + objects.url("A", path), None)
            assert status == 401, (method, path, status)


@pytest.mark.parametrize(("owner", "username"), [("B", "a-admin"), ("A2", "a-cashier"), ("A2", "a-merchant_finance")])
def test_api_objects_out_of_scope_are_not_found(client: TestClient, world: World, objects: Objects, owner: str,
                                                username: str) -> None:
    """Another tenant's objects, and (for merchant roles) another merchant's: 404 — or 403 where the role may
    not do that to any object, which tells nothing of the object — never a success."""
    token = token_for(world.database, username)
    for (method, path), decision in sorted(API.items()):
        names = set(re.findall(r"{(\w+)}", path))
        if not names or decision == OPEN:
            continue
        status = _api_call(client, method, path, "/api/v1" + objects.url(owner, path), token)
        assert status in _out_of_scope(decision, username), (username, method, path, status)


def _out_of_scope(decision: str | Permission, username: str) -> set[int]:
    role = Role(username.split("-", 1)[1])
    return {404} if _expected_ok(decision, role) else {403, 404}


def _login(client: TestClient, username: str) -> str:
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    answer = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf.group(1)},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/cases").text)
    assert found is not None
    return found.group(1)


def _page_call(client: TestClient, method: str, path: str, url: str, csrf: str | None) -> int:
    if method == "GET":
        return client.get(url, follow_redirects=False).status_code
    form = {"csrf_token": csrf or "", "reason": "matrix", "kind": "transfer", "amount": "0.01",
            "idempotency_key": f"page-{url}-{csrf}"[:100], "locale": "en", "username": "a-admin", "text": "matrix",
            "state": "INVESTIGATING"}
    if path in UPLOADS:
        files = {"file": ("journal.csv", csv_bytes(), "text/csv")}
        return client.post(url, data={**form, "kind": "journal"}, files=files, follow_redirects=False).status_code
    return client.post(url, data=form, follow_redirects=False).status_code


@pytest.mark.parametrize("role", list(Role))
def test_pages_each_role_gets_exactly_what_its_permissions_allow(client: TestClient, world: World, objects: Objects,
                                                                 role: Role) -> None:
    csrf = _login(client, World.username("A", role))
    wrong = []
    for (method, path), decision in sorted(PAGES.items()):
        if path in ("/logout", "/login", "/account/password"):
            continue  # would end or replace the session the other calls use
        status = _page_call(client, method, path, objects.url("A", path), csrf)
        if _against_decision(decision, role, status):
            wrong.append((method, path, status))
    assert wrong == [], f"{role.value}: pages answering against their decision"


def test_pages_without_a_session_send_to_the_login_page(client: TestClient, world: World, objects: Objects) -> None:
    for (method, path), decision in sorted(PAGES.items()):
        if decision == OPEN:
            continue
        status = _page_call(client, method, path, objects.url("A", path), None)
        # A form post without a session fails its CSRF check (403) before anything else; a page redirects.
        assert status == (303 if method == "GET" else 403), (method, path, status)


@pytest.mark.parametrize(("owner", "username"), [("B", "a-admin"), ("A2", "a-cashier"), ("A2", "a-merchant_finance")])
def test_pages_objects_out_of_scope_are_not_found(client: TestClient, world: World, objects: Objects, owner: str,
                                                  username: str) -> None:
    csrf = _login(client, username)
    for (method, path), decision in sorted(PAGES.items()):
        names = set(re.findall(r"{(\w+)}", path)) - {"job_id", "token"}
        if not names or decision == OPEN:
            continue
        status = _page_call(client, method, path, objects.url(owner, path), csrf)
        assert status in _out_of_scope(decision, username), (username, method, path, status)
