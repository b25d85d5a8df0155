"""How a change to a case is put on record: its timeline, the webhook outbox, and the audit of a refusal.

Everything here writes in the caller's transaction and only flushes; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from sqlalchemy import bindparam, insert, inspect, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from recoup.audit.service import record
from recoup.auth.principal import Principal
from recoup.cases.models import Case, CaseEvent
from recoup.cases.schemas import case_row
from recoup.db import Database, utcnow
from recoup.errors import RecoupError
from recoup.free_text import masked_row
from recoup.webhooks.service import emit


@contextmanager
def audited(database: Database, principal: Principal, action: str, object_id: str,
            attempted: dict[str, object] | None = None) -> Iterator[Session]:
    """A unit of work whose refusal (any RecoupError) is itself audited: in a fresh transaction,
    once the refused one has rolled back, so nothing changed but the attempt is on record."""
    try:
        with database.unit_of_work() as session:
            yield session
    except RecoupError as error:
        with database.unit_of_work() as session:
            record(session, principal.actor(), f"{action}.refused", "case", object_id.strip()[:120] or "-",
                   after=attempted or None, note=error.message)
        raise


# A timeline entry is written by one Core INSERT built once (no ORM object: nothing reads it back in the same
# unit of work, and the ORM's insert costs more than the statement); its free-text columns are masked by
# recoup.free_text as an ORM object's would be.
_INSERT_EVENT = insert(cast(Any, CaseEvent.__table__))
# On PostgreSQL, for a case with no other change waiting (a note), the case's updated_at is set by the same
# statement: its UPDATE rides in a data-modifying WITH of the entry's INSERT (SQLite has no such WITH), and the
# case object is told the value is stored, so the flush has no UPDATE to send. A case with changes of its own
# (an owner, a state) is updated by one flush as before: its UPDATE carries updated_at with them.
_CASES: Any = Case.__table__
_EVENT_COLUMNS = ("case_id", "tenant_id", "at", "actor", "event", "from_state", "to_state", "note", "data")
# The entry's values are bound under names of their own: a key named like a column of cases (tenant_id) would
# otherwise be set by the case's UPDATE too.
_INSERT_EVENT_TOUCHING_CASE = _INSERT_EVENT.values(
    {name: bindparam(f"event_{name}") for name in _EVENT_COLUMNS}).add_cte(
    update(_CASES).where(_CASES.c.id == bindparam("touched_case_id"))
    .values(updated_at=bindparam("touched_at")).cte("touched_case"))


def add_event(session: Session, case: Case, actor_name: str, event: str, note: str = "", *,
              from_state: str | None = None, to_state: str | None = None, data: dict[str, object] | None = None,
              now: datetime | None = None) -> None:
    moment = now or utcnow()
    row = masked_row(CaseEvent, dict(zip(_EVENT_COLUMNS, (case.id, case.tenant_id, moment, actor_name, event,
                                                          from_state, to_state, note, data), strict=True)))
    if not inspect(case).modified and session.get_bind().dialect.name == "postgresql":
        values = {f"event_{name}": value for name, value in row.items()}
        session.execute(_INSERT_EVENT_TOUCHING_CASE, {**values, "touched_case_id": case.id, "touched_at": moment})
        set_committed_value(case, "updated_at", moment)
    else:
        session.execute(_INSERT_EVENT, row)
        case.updated_at = moment
    session.flush()


def publish(session: Session, case: Case, event_type: str, now: datetime | None = None,
            extra: dict[str, object] | None = None) -> None:
    emit(session, case.tenant_id, event_type, {"case": case_row(case), **(extra or {})}, now)
