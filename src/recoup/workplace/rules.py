"""Rules of the workplace dashboard (issue 12): which cases a role works, when a day and a week start in a
merchant's zone, and what "since my last visit" means. Pure: no database, no clock (moments come in).

Called by recoup.workplace.queue (the queries) and recoup.workplace.visits (the visit marker).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from recoup.auth.roles import Role

# Two page loads closer together than this are the same visit: a reload does not empty "new since my last visit".
SAME_VISIT = timedelta(minutes=30)
# A first visit counts the findings of the last week as new.
FIRST_VISIT_LOOKBACK = timedelta(days=7)
# Roles that own cases by rung (the whole rung is their team's queue, named owner or not).
RUNG_ROLES = frozenset({Role.PROVIDER_SUPPORT, Role.ACQUIRER_OPS})
# Roles whose queue is every open case they may see (the admin works everything, the auditor reads it).
OVERVIEW_ROLES = frozenset({Role.ADMIN, Role.AUDITOR})
# Roles that see the scheme disputes due soon.
DISPUTE_ROLES = frozenset({Role.ACQUIRER_OPS, Role.ADMIN})


class Due(StrEnum):
    OVERDUE = "overdue"
    TODAY = "today"
    LATER = "later"


@dataclass(frozen=True)
class Visit:
    """A user's visit marker: the start of the current visit and of the one before."""

    last_seen_at: datetime
    previous_seen_at: datetime | None


def next_visit(stored: Visit | None, now: datetime) -> Visit:
    """The marker after a page load at `now`: a new visit moves `last` to `previous`; a reload within
    SAME_VISIT keeps both (the page still shows what was new when the visit began)."""
    if stored is None:
        return Visit(now, None)
    if now - stored.last_seen_at < SAME_VISIT:
        return stored
    return Visit(now, stored.last_seen_at)


def new_since(visit: Visit, now: datetime) -> datetime:
    """What counts as new: arrived after the visit before this one (a first visit: the last 7 days)."""
    return visit.previous_seen_at if visit.previous_seen_at is not None else now - FIRST_VISIT_LOOKBACK


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first moment of `day` in `zone`, in UTC."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def end_of_today(now: datetime, zone: ZoneInfo) -> datetime:
    """The first moment of tomorrow in `zone` (due today = before this, and not yet past)."""
    today = now.astimezone(zone).date()
    return local_midnight(today + timedelta(days=1), zone)


def week_of(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The merchant's week holding `now`: [Monday 00:00, next Monday 00:00) in its zone, in UTC."""
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    return local_midnight(monday, zone), local_midnight(monday + timedelta(days=7), zone)


def due(deadline: datetime, now: datetime, zone: ZoneInfo) -> Due:
    """Overdue once the deadline passed; due today until the merchant's midnight; else later."""
    if deadline < now:
        return Due.OVERDUE
    return Due.TODAY if deadline < end_of_today(now, zone) else Due.LATER


def queue_kind(role: Role) -> str:
    """How the role's case queue is chosen: "all" open cases in scope, the role's "rung", or "mine"."""
    if role in OVERVIEW_ROLES:
        return "all"
    return "rung" if role in RUNG_ROLES else "mine"
