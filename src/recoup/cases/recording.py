"""How a change to a case is put on record: its timeline, the webhook outbox, and the audit of a refusal.

Everything here writes in the caller's transaction (timeline entries and outbox events when it commits:
recoup.deferred_rows); the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import bindparam, insert, inspect, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified, set_committed_value

from recoup.audit.service import record
from recoup.auth.principal import Principal
from recoup.cases.models import Case, CaseEvent
from recoup.cases.schemas import case_row
from recoup.db import Database, utcnow
from recoup.deferred_rows import defer, deferred_kind
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


# A timeline entry is written at commit with the transaction's others (recoup.deferred_rows), by one Core INSERT
# built once (no ORM object: nothing reads it back in the same unit of work, and the ORM's insert costs more than
# the statement); its free-text columns are masked by recoup.free_text as an ORM object's would be.
_INSERT_EVENT = insert(cast(Any, CaseEvent.__table__))
# On PostgreSQL, a case with no change of its own waiting when its entry is made (a note) is told its updated_at
# is stored, so that no flush sends an UPDATE for it: the entry's writer sets it, riding in a data-modifying WITH
# of the entry's INSERT when the transaction wrote that one entry (SQLite has no such WITH). A case with changes of
# its own (an owner, a state) is updated by one flush: its UPDATE carries updated_at with them.
_CASES: Any = Case.__table__
_EVENT_COLUMNS = ("case_id", "tenant_id", "at", "actor", "event", "from_state", "to_state", "note", "data")
# The entry's values are bound under names of their own: a key named like a column of cases (tenant_id) would
# otherwise be set by the case's UPDATE too.
_TOUCH_CASE = update(_CASES).where(_CASES.c.id == bindparam("touched_case_id")).values(
    updated_at=bindparam("touched_at"))
_INSERT_EVENT_TOUCHING_CASE = _INSERT_EVENT.values(
    {name: bindparam(f"event_{name}") for name in _EVENT_COLUMNS}).add_cte(_TOUCH_CASE.cte("touched_case"))


@dataclass(frozen=True)
class _Entry:
    row: dict[str, Any]
    touches_case: bool  # the writer sets the case's updated_at (no flush of the case carries it)


def add_event(session: Session, case: Case, actor_name: str, event: str, note: str = "", *,
              from_state: str | None = None, to_state: str | None = None, data: dict[str, object] | None = None,
              now: datetime | None = None) -> None:
    """Put an entry on the case's timeline (written at commit, or before a statement on the timeline)."""
    moment = now or utcnow()
    row = masked_row(CaseEvent, dict(zip(_EVENT_COLUMNS, (case.id, case.tenant_id, moment, actor_name, event,
                                                          from_state, to_state, note, data), strict=True)))
    touches = not inspect(case).modified and session.get_bind().dialect.name == "postgresql"
    if touches:
        set_committed_value(case, "updated_at", moment)
    else:  # sent with the case's own changes, even when an earlier entry's writer was to set the same time
        case.updated_at = moment
        flag_modified(case, "updated_at")
    defer(session, "case_events", _Entry(row, touches))


@deferred_kind("case_events", tables=("case_events",))
def _write_entries(session: Session, entries: list[_Entry]) -> None:
    """The entries in one INSERT; a case's updated_at set here when its latest entry found it without changes (an
    earlier one's time is carried by the case's UPDATE, or is older)."""
    latest: dict[int, _Entry] = {}
    for entry in entries:
        latest[entry.row["case_id"]] = entry
    touched = [entry for entry in latest.values() if entry.touches_case]
    if len(entries) == 1 and touched:
        values = {f"event_{name}": value for name, value in entries[0].row.items()}
        session.execute(_INSERT_EVENT_TOUCHING_CASE, {**values, "touched_case_id": entries[0].row["case_id"],
                                                      "touched_at": entries[0].row["at"]})
        return
    session.execute(_INSERT_EVENT, [entry.row for entry in entries])
    for entry in touched:
        session.execute(_TOUCH_CASE, {"touched_case_id": entry.row["case_id"], "touched_at": entry.row["at"]})


def publish(session: Session, case: Case, event_type: str, now: datetime | None = None,
            extra: dict[str, object] | None = None) -> None:
    emit(session, case.tenant_id, event_type, {"case": case_row(case), **(extra or {})}, now)
