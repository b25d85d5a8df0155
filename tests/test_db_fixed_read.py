"""recoup.db.FixedRead: a read built once, run on PostgreSQL straight through the driver. Its rows hold what
`session.execute` gives (the same values, times in UTC whatever the server's zone, JSON decoded), the engine's
cursor events still see it, a reading-first unit of work stays without BEGIN, and a failure is SQLAlchemy's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import bindparam, event, exc, insert, literal_column, select, text
from sqlalchemy.orm import Session
from tests.support.factories import World

from recoup.auth.models import Tenant
from recoup.cases.models import CaseEvent
from recoup.db import Database, FixedRead
from recoup.merchants.models import Merchant

_EVENTS: Any = CaseEvent.__table__
_MERCHANTS: Any = Merchant.__table__
_TIMELINE = FixedRead(select(_EVENTS).where(_EVENTS.c.case_id == bindparam("case_id")).order_by(_EVENTS.c.id))
# A fixed value of its own (`'B'`) besides the caller's parameter, and labels.
_TENANTS = FixedRead(select(Tenant.__table__.c.code.label("tenant_code"), Tenant.__table__.c.id)
                     .where(Tenant.__table__.c.code != "B", Tenant.__table__.c.id >= bindparam("least"))
                     .order_by(Tenant.__table__.c.id))


def _a_case_with_events(world: World) -> int:
    from tests.cases.test_case_world import overcharge_case

    from recoup.cases.models import Case

    number = overcharge_case(world)
    with world.database.unit_of_work() as session:
        case_id = session.execute(select(Case.id).where(Case.number == number)).scalar_one()
        tenant_id = world.tenants["A"].id
        session.execute(insert(_EVENTS), [
            {"case_id": case_id, "tenant_id": tenant_id, "at": datetime(2026, 3, 1, 8, 30, tzinfo=UTC),
             "actor": "tester", "event": "note", "note": "one", "data": {"action_id": 7, "words": ["a", "b"]}},
            {"case_id": case_id, "tenant_id": tenant_id, "at": datetime(2026, 3, 2, 23, 59, 59, 5, tzinfo=UTC),
             "actor": "tester", "event": "note", "note": "two", "data": None}])
    return int(case_id)


def _in_other_zone(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET TIME ZONE 'Asia/Shanghai'"))  # the driver then hands back +08:00 times


def test_rows_hold_what_the_session_gives(world: World) -> None:
    case_id = _a_case_with_events(world)
    with world.database.unit_of_work() as session:
        _in_other_zone(session)
        expected = list(session.execute(_TIMELINE.statement, {"case_id": case_id}))
        found = _TIMELINE.rows(session, {"case_id": case_id})
    assert [tuple(row) for row in found] == [tuple(row) for row in expected]
    assert len(found) >= 2
    assert [row.at.utcoffset() for row in found] == [row.at.utcoffset() for row in expected]
    assert all(row.at.tzinfo == UTC for row in found)
    assert found[-2].data == {"action_id": 7, "words": ["a", "b"]}
    assert found[-1].note == "two"
    assert found[-1]._mapping["note"] == "two"
    assert found[-1]._mapping == dict(expected[-1]._mapping)


def test_fixed_values_labels_and_parameters(world: World) -> None:
    with world.database.unit_of_work(reads_first=True) as session:
        found = _TENANTS.rows(session, {"least": 0})
        none = _TENANTS.rows(session, {"least": 10**9})
    assert [row.tenant_code for row in found] == ["A"]
    assert [tuple(row) for row in found] == [("A", world.tenants["A"].id)]
    assert none == []


def test_the_cursor_events_see_it_and_reading_first_sends_no_begin(database: Database) -> None:
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", note)
    try:
        with database.unit_of_work(reads_first=True) as session:
            _TENANTS.rows(session, {"least": 0})
            raw = session.connection().connection.dbapi_connection
            if database.engine.dialect.name == "postgresql":
                assert raw.info.transaction_status == TransactionStatus.IDLE  # type: ignore[union-attr]
    finally:
        event.remove(database.engine, "before_cursor_execute", note)
    assert len(seen) == 1
    assert "tenants" in seen[0]


def test_a_failure_is_sqlalchemys_and_the_session_goes_on(database: Database) -> None:
    broken = FixedRead(select(literal_column("no_such_column").label("missing")).select_from(_MERCHANTS))
    with database.unit_of_work(reads_first=True) as session:
        with pytest.raises(exc.DBAPIError):
            broken.rows(session, {})
    with database.unit_of_work(reads_first=True) as session:
        assert _TENANTS.rows(session, {"least": 10**9}) == []


def test_in_lists_and_unnamed_columns_are_refused(postgres_url: str) -> None:
    database = Database(postgres_url)
    try:
        listed = FixedRead(select(_MERCHANTS.c.merchant_id).where(
            _MERCHANTS.c.merchant_id.in_(bindparam("ids", expanding=True))))
        with database.unit_of_work() as session, pytest.raises(ValueError, match="IN-list"):
            listed.rows(session, {"ids": ["M1"]})
        with database.unit_of_work() as session, pytest.raises(ValueError, match="names"):
            FixedRead(select(text("1"))).rows(session, {})
    finally:
        database.dispose()
