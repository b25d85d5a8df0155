"""A transaction's timeline entries and outbox events are written when it commits (recoup.deferred_rows): in the
order they were made, seen by the transaction's own reads before that, and gone with a rolled-back savepoint or
transaction, as when each was written at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select
from tests.cases.test_case_world import admin, case_numbered, overcharge_case
from tests.support.factories import World

from recoup.cases.models import Case, CaseEvent
from recoup.cases.repository import get_case
from recoup.cases.service import add_note, move_case
from recoup.errors import InvalidInput
from recoup.webhooks.models import WebhookEvent

AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _notes(world: World, number: str) -> list[str]:
    case = case_numbered(world.database, number)
    with world.database.unit_of_work() as session:
        rows = session.execute(select(CaseEvent.note).where(CaseEvent.case_id == case.id, CaseEvent.event == "note")
                               .order_by(CaseEvent.id))
        return [note for (note,) in rows]


def _event_types(world: World) -> list[str]:
    with world.database.unit_of_work() as session:
        return [row.type for row in session.execute(select(WebhookEvent).order_by(WebhookEvent.created_at))
                .scalars()]


def test_entries_go_in_at_commit_in_the_order_they_were_made(world: World) -> None:
    number = overcharge_case(world)
    writes: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "INSERT INTO case_events" in statement or "INSERT INTO webhook_events" in statement:
            writes.append(statement.split("(")[0])

    event.listen(world.database.engine, "before_cursor_execute", seen)
    try:
        with world.database.unit_of_work() as session:
            for n in range(3):
                add_note(session, admin(world), number, f"call {n}", now=AT + timedelta(minutes=n))
            move_case(session, admin(world), number, "INVESTIGATING", "looked at it", now=AT + timedelta(minutes=5))
            assert writes == []  # nothing written before the commit
    finally:
        event.remove(world.database.engine, "before_cursor_execute", seen)
    assert len(writes) == 2, writes  # the four entries by one INSERT, the state move's outbox event by another
    assert _notes(world, number) == ["call 0", "call 1", "call 2"]
    case = case_numbered(world.database, number)
    assert (case.state, case.updated_at.astimezone(UTC)) == ("INVESTIGATING", AT + timedelta(minutes=5))


def test_a_note_alone_moves_the_cases_updated_at(world: World) -> None:
    number = overcharge_case(world)
    with world.database.unit_of_work() as session:
        add_note(session, admin(world), number, "called the payer", now=AT)
    assert case_numbered(world.database, number).updated_at.astimezone(UTC) == AT
    with world.database.unit_of_work() as session:  # two notes on a case with no change of its own: the latest time
        add_note(session, admin(world), number, "called again", now=AT + timedelta(hours=1))
        add_note(session, admin(world), number, "and again", now=AT + timedelta(hours=2))
    assert case_numbered(world.database, number).updated_at.astimezone(UTC) == AT + timedelta(hours=2)


def test_a_read_of_the_timeline_in_the_same_transaction_sees_its_entries(world: World) -> None:
    number = overcharge_case(world)
    with world.database.unit_of_work() as session:
        case = add_note(session, admin(world), number, "first", now=AT)
        add_note(session, admin(world), number, "second", now=AT + timedelta(minutes=1))
        notes = session.execute(select(CaseEvent.note).where(CaseEvent.case_id == case.id, CaseEvent.event == "note")
                                .order_by(CaseEvent.id)).scalars().all()
        assert notes == ["first", "second"]
        add_note(session, admin(world), number, "third", now=AT + timedelta(minutes=2))
    assert _notes(world, number) == ["first", "second", "third"]


def test_a_rolled_back_savepoint_drops_its_entries_and_a_failed_transaction_all(world: World) -> None:
    number = overcharge_case(world)
    before = _event_types(world)
    with world.database.unit_of_work() as session:
        add_note(session, admin(world), number, "kept", now=AT)
        savepoint = session.begin_nested()
        add_note(session, admin(world), number, "dropped", now=AT + timedelta(minutes=1))
        savepoint.rollback()
        add_note(session, admin(world), number, "kept too", now=AT + timedelta(minutes=2))
    assert _notes(world, number) == ["kept", "kept too"]

    def moved_then_refused() -> None:
        with world.database.unit_of_work() as session:
            add_note(session, admin(world), number, "never stored", now=AT + timedelta(minutes=3))
            move_case(session, admin(world), number, "INVESTIGATING", "looked", now=AT + timedelta(minutes=4))
            add_note(session, admin(world), number, " ", now=AT + timedelta(minutes=5))  # refused: empty

    with pytest.raises(InvalidInput):
        moved_then_refused()
    assert _notes(world, number) == ["kept", "kept too"]
    assert _event_types(world) == before  # the move's outbox event went with its transaction
    assert case_numbered(world.database, number).state == "OPEN"


def test_a_state_move_announces_the_case_as_it_was_then(world: World) -> None:
    number = overcharge_case(world)
    before = len(_event_types(world))
    with world.database.unit_of_work() as session:
        move_case(session, admin(world), number, "INVESTIGATING", "looked", now=AT)
        case = get_case(session, admin(world), number)
        assert isinstance(case, Case)
        events = session.execute(select(WebhookEvent)).scalars().all()
        assert len(events) == before + 1  # read in the transaction: written first
        moved = [row for row in events if row.created_at.astimezone(UTC) == AT]
        assert [row.payload["data"]["case"]["state"] for row in moved] == ["INVESTIGATING"]  # type: ignore[index]
