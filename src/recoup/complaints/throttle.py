"""Public complaints counted per client address and per merchant (table complaint_throttle).

The counters live in the database so the limits hold across workers and restarts. A counter row is
locked while it is counted (FOR UPDATE on PostgreSQL, the write lock on SQLite), so a burst of
concurrent posts is counted in full. The caller commits (the public route counts in a transaction of
its own, so a refused or failed complaint still counts).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.complaints.models import ComplaintThrottle
from recoup.complaints.rules import RateLimits, within_window
from recoup.db import exclusive, upsert_for
from recoup.errors import RecoupError


class TooManyComplaints(RecoupError):
    status = 429


def address_subject(address: str) -> str:
    return f"addr:{address or '-'}"[:200]


def merchant_subject(merchant_id: str) -> str:
    return f"merchant:{merchant_id}"[:200]


def _locked_row(session: Session, subject: str, now: datetime) -> ComplaintThrottle:
    exclusive(session)
    insert = upsert_for(session)(ComplaintThrottle).values(subject=subject, attempts=0, window_started_at=now)
    session.execute(insert.on_conflict_do_nothing(index_elements=["subject"]))
    return session.execute(select(ComplaintThrottle).where(ComplaintThrottle.subject == subject)
                           .with_for_update().execution_options(populate_existing=True)).scalar_one()


def _count(session: Session, subject: str, now: datetime, limits: RateLimits) -> int:
    """One more attempt of `subject`; how many it has made in its current window."""
    row = _locked_row(session, subject, now)
    if not within_window(row.window_started_at, now, limits):
        row.attempts, row.window_started_at = 0, now
    row.attempts += 1
    session.flush()
    return row.attempts


def count_attempt(session: Session, address: str, merchant_id: str, now: datetime, limits: RateLimits) -> None:
    """Count a public complaint; refused (429) past either limit, in the user's words."""
    by_address = _count(session, address_subject(address), now, limits)
    by_merchant = _count(session, merchant_subject(merchant_id), now, limits)
    if by_address > limits.per_address or by_merchant > limits.per_merchant:
        raise TooManyComplaints("too many complaints have been sent from here in the last hour: "
                                "please try again later")
