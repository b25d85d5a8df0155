"""How a change to a case is put on record: its timeline, the webhook outbox, and the audit of a refusal.

Everything here writes in the caller's transaction and only flushes; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.orm import Session

from recoup.audit.service import record
from recoup.auth.principal import Principal
from recoup.cases.models import Case, CaseEvent
from recoup.cases.schemas import case_row
from recoup.db import Database, utcnow
from recoup.errors import RecoupError
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


def add_event(session: Session, case: Case, actor_name: str, event: str, note: str = "", *,
              from_state: str | None = None, to_state: str | None = None, data: dict[str, object] | None = None,
              now: datetime | None = None) -> CaseEvent:
    moment = now or utcnow()
    row = CaseEvent(case_id=case.id, tenant_id=case.tenant_id, at=moment, actor=actor_name, event=event,
                    from_state=from_state, to_state=to_state, note=note, data=data)
    session.add(row)
    case.updated_at = moment
    session.flush()
    return row


def publish(session: Session, case: Case, event_type: str, now: datetime | None = None,
            extra: dict[str, object] | None = None) -> None:
    emit(session, case.tenant_id, event_type, {"case": case_row(case), **(extra or {})}, now)
