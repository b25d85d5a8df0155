"""How a change to a case is put on record: its timeline, the webhook outbox, and the audit of a refusal.

Everything here writes in the caller's transaction and only flushes; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from sqlalchemy import insert
from sqlalchemy.orm import Session

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


def add_event(session: Session, case: Case, actor_name: str, event: str, note: str = "", *,
              from_state: str | None = None, to_state: str | None = None, data: dict[str, object] | None = None,
              now: datetime | None = None) -> None:
    moment = now or utcnow()
    session.execute(_INSERT_EVENT, masked_row(CaseEvent, {
        "case_id": case.id, "tenant_id": case.tenant_id, "at": moment, "actor": actor_name, "event": event,
        "from_state": from_state, "to_state": to_state, "note": note, "data": data}))
    case.updated_at = moment
    session.flush()


def publish(session: Session, case: Case, event_type: str, now: datetime | None = None,
            extra: dict[str, object] | None = None) -> None:
    emit(session, case.tenant_id, event_type, {"case": case_row(case), **(extra or {})}, now)
