"""How many SQL statements the hot requests of bench/load.py run (issue 15, load): a case as JSON, the case page,
a page of findings, a search and a note. Each has a ceiling, and none may grow with the case's history: a lazy
load (a relationship read row by row in a loop or a template) or a query per timeline entry fails here."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from tests.auth.logins import web_login
from tests.cases.test_case_world import MERCHANT_A, Finding, add_sale, admin, overcharge_case, save
from tests.support.factories import World, token_for

from recoup.disputes.rules import SCHEMES
from recoup.recovery.api import REPLAYED_HEADER
from recoup.recovery.plans import ActionRequest
from recoup.recovery.service import perform

FINANCE = "a-merchant_finance"  # a merchant role: its merchants' scope applies to every query
# Ceilings, as of issue 15 (the statements each request runs, the one that identifies the caller included).
# The caller, the case, its balances with whether it has findings and alerts (one statement: cases.repository.
# case_facts), its actions, timeline, findings, journal and settlement lines (the claimed RRNs chosen in them, not
# read first); its alerts only when it has some: 10 before issue 15's third round.
CASE_JSON = 8
# The same (the merchant joined to the case, the payment pages to the actions, and whether the case has files,
# messages, complaints or disputes asked with its balances: a section with none reads nothing), the order's
# contact, the tenant's schemes, the menu's badge: 24 before issue 15's case page round, 19 since each table is
# read once per page (see test_the_case_page_reads_each_table_once), 11 since its third round.
CASE_PAGE = 11
FINDINGS = 3  # the caller, the count, the page
# The caller, the case (locked), its timeline entry with the case's update (one statement on PostgreSQL: 5 in all),
# the audit head and the entry with the head's move; SQLite: BEGIN IMMEDIATE, and the case's update and the
# head's move each a statement of their own (8). 10 before issue 15's fourth round.
NOTE = 8
# The caller, the case (locked), the new owner and their merchants (one statement), the case's update, its
# timeline entry, the webhook endpoints and event, the audit head, entry and head's move (+ BEGIN IMMEDIATE on
# SQLite): before issue 15's second round, the owner and their merchants were two statements.
ASSIGN = 11
# A first refund (bench/load.py's heaviest request): the caller; then, the case locked, the action recorded and armed
# (the hold posted, the case walked to ACTION_PENDING, each step on the timeline, the outbox and the audit trail);
# then, the provider called outside any transaction, its answer stored (case and action locked again, the
# instruction posted and announced). The instruction is made from the rows the first transaction committed and
# the answer returned as stored, not read back (three statements and two transactions fewer since issue 15's
# sixth round: 45 on PostgreSQL, 51 on SQLite before). Each transaction's timeline entries and outbox events go in
# at commit, one INSERT each (recoup.deferred_rows), so the case's two state moves are one UPDATE; a posting is one
# INSERT that does nothing when its reference is taken, not a look-up first: 42 and 48 before issue 15's ninth round.
FIRST_REFUND = {"postgresql": 33, "sqlite": 37}
REPLAY = 4  # the caller, the key's action, the case (the caller's scope, the request's fingerprint), + BEGIN on SQLite


@contextmanager
def counted(world: World) -> Iterator[list[str]]:
    """The SQL statements run on the database while the block runs."""
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    engine = world.database.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _statements(world: World, ask: Callable[[], int]) -> int:
    ask()  # the first request notes the token's or the session's use (a write, once a minute)
    with counted(world) as seen:
        assert ask() == 200
    return len(seen)


def _busy_case(world: World, client: TestClient, api: dict[str, str], number: str, notes: int) -> None:
    """A longer history: notes on the timeline, refunds in the actions, more findings on other sales."""
    for n in range(notes):
        answer = client.post(f"/api/v1/cases/{number}/notes", json={"text": f"called the payer {n}"}, headers=api)
        assert answer.status_code == 200, answer.text


@pytest.fixture
def api(world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(world.database, FINANCE)}"}


def test_a_case_as_json_and_its_page_run_few_statements_whatever_its_history(
        world: World, client: TestClient, api: dict[str, str]) -> None:
    number = overcharge_case(world, fund_minor=900000)
    perform(world.database, admin(world), number, ActionRequest("refund", "100.00"), "budget-1")
    assert web_login(client, FINANCE) == 303

    def case_json() -> int:
        answer = client.get(f"/api/v1/cases/{number}", headers=api)
        assert answer.json()["number"] == number
        return int(answer.status_code)

    def case_page() -> int:
        answer = client.get(f"/cases/{number}")
        assert number in answer.text
        return int(answer.status_code)

    before = (_statements(world, case_json), _statements(world, case_page))
    _busy_case(world, client, api, number, notes=6)
    perform(world.database, admin(world), number, ActionRequest("refund", "50.00"), "budget-2")
    detail = client.get(f"/api/v1/cases/{number}", headers=api).json()
    assert sum(event["event"] == "note" for event in detail["timeline"]) >= 6  # the history did grow
    assert len(detail["actions"]) == 2
    after = (_statements(world, case_json), _statements(world, case_page))
    assert after == before, f"statements grew with the case's history: {before} -> {after}"
    assert after[0] <= CASE_JSON, f"GET /api/v1/cases/{{id}}: {after[0]} statements (ceiling {CASE_JSON})"
    assert after[1] <= CASE_PAGE, f"GET /cases/{{id}}: {after[1]} statements (ceiling {CASE_PAGE})"


def test_a_page_of_findings_and_a_note_run_few_statements(world: World, client: TestClient,
                                                          api: dict[str, str]) -> None:
    with world.database.unit_of_work() as session:
        for n in range(8):
            add_sale(session, world.tenants["A"].id, f"41000000000{n}", 128000 + n)
    save(world, [Finding("OVERCHARGE", MERCHANT_A, f"41000000000{n}", 128000 + n, 12800, cause="EXTRA_DIGIT")
                 for n in range(8)])

    def findings() -> int:
        answer = client.get("/api/v1/findings", params={"limit": 5, "offset": 1}, headers=api)
        page = answer.json()
        assert page["total"] == 8
        assert len(page["items"]) == 5
        assert page["items"][0]["charged_amount"].startswith("1280.0")
        return int(answer.status_code)

    number = client.get("/api/v1/cases", headers=api).json()[0]["number"]

    def note() -> int:
        answer = client.post(f"/api/v1/cases/{number}/notes", json={"text": "called the payer"}, headers=api)
        assert answer.json()["number"] == number
        return int(answer.status_code)

    def assign() -> int:
        answer = client.post(f"/api/v1/cases/{number}/assign", json={"username": FINANCE}, headers=api)
        assert answer.json()["owner"] == FINANCE
        return int(answer.status_code)

    assert _statements(world, findings) <= FINDINGS
    assert _statements(world, note) <= NOTE
    assert _statements(world, assign) <= ASSIGN


def test_the_case_page_reads_each_table_once(world: World, client: TestClient, api: dict[str, str]) -> None:
    """The sections get the rows the page already read (cases.page_view.CasePage): the timeline and the actions
    (the evidence section's records), the order's contact (both channels); the tenant's schemes only for a role
    that may open a dispute (tests/disputes)."""
    number = overcharge_case(world, fund_minor=900000)
    perform(world.database, admin(world), number, ActionRequest("refund", "100.00"), "once-1")
    _busy_case(world, client, api, number, notes=2)
    assert web_login(client, FINANCE) == 303
    client.get(f"/cases/{number}")  # the session's first use is noted (a write), and the tenant's schemes seeded
    with counted(world) as seen:
        page = client.get(f"/cases/{number}")
    assert page.status_code == 200
    assert "called the payer 1" in page.text
    for table in ("case_events", "recovery_actions", "orders", "merchants"):
        # read in a statement of its own or joined to another's (the merchant to the case, since issue 15's third
        # round: cases.repository.get_case_and_merchant)
        reads = [s for s in seen if re.search(rf"\b(FROM|JOIN) {table}\b", s)]
        assert len(reads) == 1, f"{table} read {len(reads)} times: {reads}"
    # finance cannot open a scheme dispute: the schemes its form would list are not read
    assert not [s for s in seen if re.search(r"\bFROM dispute_schemes\b", s)]
    assert 'name="scheme"' not in page.text


def test_a_role_that_may_open_a_dispute_sees_the_tenants_schemes_on_the_case_page(world: World,
                                                                                  client: TestClient) -> None:
    number = overcharge_case(world)
    assert web_login(client, "a-admin") == 303
    page = client.get(f"/cases/{number}")
    assert page.status_code == 200
    offered = re.findall(r'<option value="([A-Z]+)"', page.text.split('name="scheme"', 1)[1].split("</select>", 1)[0])
    assert set(offered) == set(SCHEMES)


def test_a_first_refund_runs_few_statements_and_answers_what_it_stored(world: World, client: TestClient,
                                                                         api: dict[str, str]) -> None:
    number = overcharge_case(world, fund_minor=900000)
    client.get("/api/v1/cases", headers=api)  # the token's first use is noted (a write, once a minute)
    ask = {"json": {"kind": "REFUND", "amount": "100.00"}, "headers": {**api, "Idempotency-Key": "budget-first"}}
    with counted(world) as seen:
        first = client.post(f"/api/v1/cases/{number}/actions", **ask)
    with counted(world) as replayed:
        again = client.post(f"/api/v1/cases/{number}/actions", **ask)
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    assert REPLAYED_HEADER not in first.headers
    assert again.headers[REPLAYED_HEADER] == "true"
    assert first.json() == again.json()  # the answer sent first is the one stored (the replay reads it)
    assert first.json()["state"] == "INSTRUCTED"
    dialect = world.database.engine.dialect.name
    assert len(seen) <= FIRST_REFUND[dialect], f"a first refund: {len(seen)} statements (ceiling {FIRST_REFUND})"
    assert len(replayed) <= REPLAY + (dialect == "sqlite"), f"a replay: {len(replayed)} statements"
