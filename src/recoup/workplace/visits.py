"""The dashboard's visit marker: each page load moves it (recoup.workplace.rules.next_visit), and what is new
is what arrived after the visit before this one. The caller commits; two tabs loading at once both succeed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.db import upsert_for
from recoup.workplace.models import DashboardVisit
from recoup.workplace.rules import Visit, next_visit


def stored_visit(session: Session, principal: Principal) -> Visit | None:
    row = session.get(DashboardVisit, principal.user_id)
    return Visit(row.last_seen_at, row.previous_seen_at) if row is not None else None


def record_visit(session: Session, principal: Principal, now: datetime) -> Visit:
    """The visit this page load belongs to, stored (flushed); returns it."""
    row = session.get(DashboardVisit, principal.user_id)
    visit = next_visit(Visit(row.last_seen_at, row.previous_seen_at) if row is not None else None, now)
    if row is None:
        insert = upsert_for(session)(DashboardVisit).values(
            user_id=principal.user_id, tenant_id=principal.tenant_id, last_seen_at=visit.last_seen_at,
            previous_seen_at=visit.previous_seen_at)
        session.execute(insert.on_conflict_do_nothing(index_elements=["user_id"]))
    elif (row.last_seen_at, row.previous_seen_at) != (visit.last_seen_at, visit.previous_seen_at):
        row.last_seen_at, row.previous_seen_at = visit.last_seen_at, visit.previous_seen_at
    session.flush()
    return visit
