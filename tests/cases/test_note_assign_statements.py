"""A note's and an assignment's statements over the API (issue 15, load), and the audit chain they leave: on
PostgreSQL the audit entry is inserted and the chain's head moved on to it by one statement (the head's UPDATE in
a WITH of the entry's INSERT), after the head's row is locked and read as before; a note's timeline entry and
its case's updated_at are written by one statement too (the case's UPDATE in a WITH of the entry's INSERT)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from tests.cases.test_case_world import overcharge_case
from tests.support.factories import World, token_for

from recoup.audit.models import AuditEntry, AuditHead
from recoup.audit.service import verify
from recoup.cases.models import Case, CaseEvent
from recoup.cases.schemas import case_row

FINANCE = "a-merchant_finance"
# The caller, the case (locked), its timeline entry with the case's update, the audit head (locked) and the entry
# with the head's move (on SQLite: BEGIN IMMEDIATE, and the timeline entry, the case's update, the audit entry and
# the head's move in four statements).
NOTE = {"postgresql": 5, "sqlite": 8}
# The same, with the new owner and their merchants, and the webhook endpoints and event.
ASSIGN = {"postgresql": 9, "sqlite": 11}
# Giving the case to its owner: the caller, the case (locked) and the owner with their merchants (on SQLite after
# its BEGIN IMMEDIATE).
UNCHANGED_ASSIGN = {"postgresql": 3, "sqlite": 4}
OTHER_OWNER = "a-admin"


@contextmanager
def counted(world: World) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(world.database.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(world.database.engine, "before_cursor_execute", note)


@pytest.fixture
def api(world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(world.database, FINANCE)}"}


def _statements(world: World, ask: Callable[[], None]) -> list[str]:
    ask()  # the first request notes the token's use (a write, once a minute)
    with counted(world) as seen:
        ask()
    return seen


def _dialect(world: World) -> str:
    return world.database.engine.dialect.name


def _trail_is_whole(world: World) -> None:
    with world.database.unit_of_work() as session:
        count, found = verify(session, checkpoints=[])
        last = session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).scalar_one()
        head = session.get(AuditHead, 1)
    assert found is None
    assert head is not None
    assert (head.last_seq, head.last_hash) == (last.seq, last.hash)
    assert last.seq == count


def test_a_note_runs_its_few_statements_and_chains_its_audit_entry(world: World, client: TestClient,
                                                                   api: dict[str, str]) -> None:
    number = overcharge_case(world)

    answered: list[str] = []

    def note() -> None:
        answer = client.post(f"/api/v1/cases/{number}/notes", json={"text": "called the payer"}, headers=api)
        assert (answer.status_code, answer.json()["number"]) == (200, number)
        answered.append(answer.json()["updated_at"])

    seen = _statements(world, note)
    assert len(seen) == NOTE[_dialect(world)], seen
    assert any("FOR UPDATE" in statement and "audit_head" in statement for statement in seen) == (
        _dialect(world) == "postgresql")  # the head's lock is kept (SQLite: BEGIN IMMEDIATE serialises writers)
    _trail_is_whole(world)
    with world.database.unit_of_work() as session:
        notes = session.execute(select(AuditEntry).where(AuditEntry.action == "case.note")).scalars().all()
    expected = [(number, "called the payer", FINANCE)] * 2
    assert [(entry.object_id, entry.note, entry.actor) for entry in notes] == expected
    _case_touched_by_its_last_event(world, number, answered[-1])


def _case_touched_by_its_last_event(world: World, number: str, answered: str) -> None:
    """The case's stored updated_at is its last timeline entry's time, and the answer said the same."""
    with world.database.unit_of_work() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        last = session.execute(select(CaseEvent.at).where(CaseEvent.case_id == case.id)
                               .order_by(CaseEvent.id.desc()).limit(1)).scalar_one()
        stored = case.updated_at
    assert stored == last
    with world.database.unit_of_work() as session:
        again = session.execute(select(Case).where(Case.number == number)).scalar_one()
    assert case_row(again)["updated_at"] == answered


def test_an_assignment_runs_its_few_statements_and_chains_its_audit_entry(world: World, client: TestClient,
                                                                          api: dict[str, str]) -> None:
    number = overcharge_case(world)
    owners = iter([OTHER_OWNER, FINANCE])  # each request changes the owner (giving it to the owner changes nothing)
    answered: list[str] = []

    def assign() -> None:
        owner = next(owners)
        answer = client.post(f"/api/v1/cases/{number}/assign", json={"username": owner}, headers=api)
        assert (answer.status_code, answer.json()["owner"]) == (200, owner)
        answered.append(answer.json()["updated_at"])

    seen = _statements(world, assign)
    assert len(seen) == ASSIGN[_dialect(world)], seen
    _trail_is_whole(world)
    _case_touched_by_its_last_event(world, number, answered[-1])
    with world.database.unit_of_work() as session:
        moves = session.execute(select(AuditEntry.after).where(AuditEntry.action == "case.assign")
                                .order_by(AuditEntry.seq)).scalars().all()
    assert moves == [{"owner": OTHER_OWNER}, {"owner": FINANCE}]


def test_giving_a_case_to_its_owner_changes_nothing(world: World, client: TestClient, api: dict[str, str]) -> None:
    """No timeline entry, audit entry or webhook event, nor the case's updated_at: only the reads that check it."""
    number = overcharge_case(world)
    first = client.post(f"/api/v1/cases/{number}/assign", json={"username": FINANCE}, headers=api).json()

    def trail() -> tuple[int, int, object]:
        with world.database.unit_of_work() as session:
            case = session.execute(select(Case).where(Case.number == number)).scalar_one()
            events = len(session.execute(select(CaseEvent.id).where(CaseEvent.case_id == case.id)).all())
            entries = len(session.execute(select(AuditEntry.seq)).all())
            return events, entries, case.updated_at

    before = trail()
    with counted(world) as seen:
        again = client.post(f"/api/v1/cases/{number}/assign", json={"username": f" {FINANCE} "}, headers=api)
    assert again.status_code == 200
    assert (again.json()["owner"], again.json()["updated_at"]) == (FINANCE, first["updated_at"])
    assert trail() == before
    assert {statement.split()[0].upper() for statement in seen} <= {"SELECT", "BEGIN"}, seen  # reads only
    assert len(seen) <= UNCHANGED_ASSIGN[_dialect(world)], seen
    _trail_is_whole(world)


def test_a_refused_note_is_audited_and_the_chain_stays_whole(world: World, client: TestClient,
                                                             api: dict[str, str]) -> None:
    number = overcharge_case(world)
    answer = client.post(f"/api/v1/cases/{number}/notes", json={"text": "   "}, headers=api)
    assert answer.status_code == 422
    with world.database.unit_of_work() as session:
        refused = session.execute(select(AuditEntry).where(AuditEntry.action == "case.note.refused")).scalar_one()
    assert (refused.object_id, refused.note) == (number, "a note has 1 to 4000 characters")
    _trail_is_whole(world)
