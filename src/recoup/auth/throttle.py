"""Failed-login counters in the database (table login_throttle), applied by the rules of `throttle_rules`.

Services flush; the caller commits. A counter row is locked while a failure is counted (SELECT ... FOR
UPDATE on PostgreSQL, the write lock on SQLite), so concurrent wrong guesses are all counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from recoup.audit.models import AuditEntry
from recoup.auth.models import LoginThrottle
from recoup.auth.throttle_rules import (
    ADDRESS,
    Counter,
    ThrottlePolicy,
    address_subject,
    after_failure,
    retry_after_seconds,
)
from recoup.config import Settings
from recoup.db import exclusive, upsert_for

FAILURE_ACTION = "login.failure"


def policy_of(settings: Settings) -> ThrottlePolicy:
    return ThrottlePolicy(
        account_limit=settings.login_failures_per_account, address_limit=settings.login_failures_per_address,
        window=timedelta(seconds=settings.login_window_seconds),
        lockout=timedelta(seconds=settings.login_lockout_seconds),
    )


def _counter(row: LoginThrottle | None) -> Counter | None:
    if row is None:
        return None
    return Counter(row.failures, row.window_started_at, row.locked_until)


def wait_seconds(session: Session, subjects: Iterable[str], now: datetime) -> int | None:
    """The longest time any of `subjects` stays locked, or None when none is."""
    rows = session.execute(select(LoginThrottle).where(LoginThrottle.subject.in_(sorted(set(subjects))))).scalars()
    waits = [wait for row in rows if (wait := retry_after_seconds(_counter(row), now)) is not None]
    return max(waits) if waits else None


def _locked_row(session: Session, subject: str, now: datetime) -> LoginThrottle:
    """The subject's counter row (made when missing), locked until the caller commits."""
    exclusive(session)
    insert = upsert_for(session)(LoginThrottle).values(subject=subject, failures=0, window_started_at=now)
    session.execute(insert.on_conflict_do_nothing(index_elements=["subject"]))
    return session.execute(select(LoginThrottle).where(LoginThrottle.subject == subject)
                           .with_for_update().execution_options(populate_existing=True)).scalar_one()


def count_failure(session: Session, subject: str, now: datetime, policy: ThrottlePolicy) -> tuple[Counter | None,
                                                                                                     Counter]:
    """Count one failed login against `subject`; the counter before and after."""
    row = _locked_row(session, subject, now)
    before = _counter(row) if row.failures else None
    after = after_failure(before, now, policy.limit_for(subject), policy)
    row.failures, row.window_started_at, row.locked_until = after.failures, after.window_started_at, after.locked_until
    session.flush()
    return before, after


def wait_seconds_locked(session: Session, account: str, others: Iterable[str], now: datetime) -> int | None:
    """`wait_seconds` again once the right password is known, with the account's row locked: failures
    counted by concurrent requests meanwhile (a burst of guesses) are seen, so none gets past a lock."""
    waits = [retry_after_seconds(_counter(_locked_row(session, account, now)), now),
             wait_seconds(session, others, now)]
    found = [wait for wait in waits if wait is not None]
    return max(found) if found else None


def reset(session: Session, subjects: Iterable[str]) -> list[str]:
    """Forget the counters of `subjects`; the ones that were locked at the time."""
    chosen = sorted(set(subjects))
    rows = session.execute(select(LoginThrottle).where(LoginThrottle.subject.in_(chosen))).scalars().all()
    if rows:
        session.execute(delete(LoginThrottle).where(LoginThrottle.subject.in_(chosen)))
    return sorted(row.subject for row in rows if row.locked_until is not None)


def address_subjects_that_failed(session: Session, username: str) -> set[str]:
    """The address counters in force to which failed logins to `username` contributed (found in the
    audit trail since the oldest of those counters' windows began)."""
    counters = dict(session.execute(select(LoginThrottle.subject, LoginThrottle.window_started_at)
                                    .where(LoginThrottle.subject.startswith(ADDRESS))).tuples().all())
    if not counters:
        return set()
    entries = session.execute(
        select(AuditEntry.after).where(AuditEntry.action == FAILURE_ACTION, AuditEntry.object_type == "login",
                                       AuditEntry.object_id == username, AuditEntry.at >= min(counters.values()))
    ).scalars()
    failed = {address_subject(str(after["address"])) for after in entries
              if isinstance(after, dict) and "address" in after}
    return failed & counters.keys()
