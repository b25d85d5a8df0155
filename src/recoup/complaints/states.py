"""The life of a complaint (SPEC section 2 step 11, section 7): states, deadlines, escalation, rating.

Pure rules, no framework import. `complaints.service` asks `next_state` before every change and
`deadline_for` after it; `complaints.deadlines.complaint_pass` (the worker, under the complaint's row lock)
asks `escalation_due` and `escalated`.

    NEW --work--> IN_PROGRESS --answer--> ANSWERED --close--> CLOSED
    (answer and close are allowed from every state but CLOSED; CLOSED is final)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from recoup.cases.ladder import DEFAULT_OWNER_ROLES, Rung
from recoup.errors import Conflict, InvalidInput


class ComplaintState(StrEnum):
    NEW = "NEW"
    IN_PROGRESS = "IN_PROGRESS"
    ANSWERED = "ANSWERED"
    CLOSED = "CLOSED"


class ComplaintEvent(StrEnum):
    WORK = "WORK"  # a transaction linked, a case opened or joined
    ANSWER = "ANSWER"
    CLOSE = "CLOSE"


class Against(StrEnum):
    MERCHANT = "merchant"  # a payer's complaint about a merchant (the public page)
    PROVIDER = "provider"  # a merchant's complaint about its provider (the staff form)


S, E = ComplaintState, ComplaintEvent
_NEXT: dict[tuple[ComplaintState, ComplaintEvent], ComplaintState] = {
    (S.NEW, E.WORK): S.IN_PROGRESS, (S.IN_PROGRESS, E.WORK): S.IN_PROGRESS, (S.ANSWERED, E.WORK): S.ANSWERED,
    (S.NEW, E.ANSWER): S.ANSWERED, (S.IN_PROGRESS, E.ANSWER): S.ANSWERED, (S.ANSWERED, E.ANSWER): S.ANSWERED,
    (S.NEW, E.CLOSE): S.CLOSED, (S.IN_PROGRESS, E.CLOSE): S.CLOSED, (S.ANSWERED, E.CLOSE): S.CLOSED,
}
RATABLE = frozenset({S.ANSWERED, S.CLOSED})
RATINGS = range(1, 6)
# The rungs a complaint climbs when a deadline passes, and who owns it on each (the case ladder's owners).
LADDER: tuple[Rung, ...] = (Rung.MERCHANT, Rung.PROVIDER_SUPPORT, Rung.ACQUIRER)
TOP_LEVEL = len(LADDER) - 1
DEFAULT_FIRST_ANSWER_DAYS = 2
DEFAULT_CLOSE_DAYS = 10
MAX_DAYS = 365


class IllegalComplaintChange(Conflict):
    """A change the complaint's state does not allow (e.g. anything once it is closed)."""


def next_state(state: ComplaintState, event: ComplaintEvent) -> ComplaintState:
    found = _NEXT.get((state, event))
    if found is None:
        raise IllegalComplaintChange(f"the complaint is {state.value}: it can no longer change ({event.value})",
                                     detail={"state": state.value, "event": event.value})
    return found


def check_rating(state: ComplaintState, already_rated: bool, rating: int) -> None:
    """A payer rates once, 1 to 5, once the complaint is answered or closed."""
    if rating not in RATINGS:
        raise InvalidInput("the rating is a whole number from 1 to 5")
    if state not in RATABLE:
        raise IllegalComplaintChange("the complaint can be rated once it has been answered")
    if already_rated:
        raise IllegalComplaintChange("this complaint has already been rated")


@dataclass(frozen=True)
class DeadlinePolicy:
    """Days allowed for the first answer and for closing, counted from when the complaint was filed."""

    first_answer_days: int = DEFAULT_FIRST_ANSWER_DAYS
    close_days: int = DEFAULT_CLOSE_DAYS

    def __post_init__(self) -> None:
        if not 1 <= self.first_answer_days <= MAX_DAYS or not 1 <= self.close_days <= MAX_DAYS:
            raise InvalidInput(f"complaint deadlines are from 1 to {MAX_DAYS} days")
        if self.close_days < self.first_answer_days:
            raise InvalidInput("the deadline to close cannot come before the deadline of the first answer")


def deadline_for(state: ComplaintState, filed_at: datetime, policy: DeadlinePolicy) -> datetime | None:
    """Unanswered: the first answer is due; answered: closing is due; closed: nothing is."""
    if state == S.CLOSED:
        return None
    days = policy.close_days if state == S.ANSWERED else policy.first_answer_days
    return filed_at + timedelta(days=days)


def escalation_due(state: ComplaintState, deadline_at: datetime | None, escalated_deadline_at: datetime | None,
                   now: datetime) -> bool:
    """Past its deadline, not closed, and not yet escalated for this deadline."""
    return (state != S.CLOSED and deadline_at is not None and now > deadline_at
            and escalated_deadline_at != deadline_at)


@dataclass(frozen=True)
class Escalation:
    level: int
    owner_role: str
    deadline_at: datetime
    moved: bool  # False at the top rung: the owners there are alerted again, nobody above them


def escalated(level: int, now: datetime, policy: DeadlinePolicy, deadline_at: datetime) -> Escalation:
    """The next rung and its owner; the next rung gets `first_answer_days` from now. At the top it stays."""
    if level >= TOP_LEVEL:
        return Escalation(TOP_LEVEL, owner_role(TOP_LEVEL), deadline_at, moved=False)
    return Escalation(level + 1, owner_role(level + 1), now + timedelta(days=policy.first_answer_days), moved=True)


def owner_role(level: int) -> str:
    return DEFAULT_OWNER_ROLES[LADDER[max(0, min(level, TOP_LEVEL))]]


def starting_level(against: Against) -> int:
    """A payer's complaint starts with the merchant; a merchant's complaint with provider support."""
    return 0 if against == Against.MERCHANT else 1


def rung_name(level: int) -> str:
    return LADDER[max(0, min(level, TOP_LEVEL))].value
