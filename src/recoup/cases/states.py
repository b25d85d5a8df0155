"""The case state machine (SPEC section 5): one table of allowed moves, one function to make a move.

Pure rules, no framework: the service loads a case, calls `transition`, stores the new state and
appends the returned `TimelineEvent` to the case's timeline in the same unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from recoup.errors import Conflict, InvalidInput


class CaseState(StrEnum):
    OPEN = "OPEN"
    INVESTIGATING = "INVESTIGATING"
    ACTION_PENDING = "ACTION_PENDING"
    AWAITING_FUNDS = "AWAITING_FUNDS"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    AWAITING_PAYER = "AWAITING_PAYER"
    AWAITING_MERCHANT = "AWAITING_MERCHANT"
    ESCALATED = "ESCALATED"
    REJECTED = "REJECTED"
    WRITTEN_OFF = "WRITTEN_OFF"


S = CaseState
REOPEN = "reopen"
"""The one command that is not a target state: brings a finished case back to INVESTIGATING."""

MAIN_LINE: tuple[CaseState, ...] = (
    S.OPEN, S.INVESTIGATING, S.ACTION_PENDING, S.AWAITING_FUNDS, S.RESOLVED, S.CLOSED,
)
ACTIVE_STATES = frozenset({S.OPEN, S.INVESTIGATING, S.ACTION_PENDING, S.AWAITING_FUNDS})
WAITING_STATES = frozenset({S.AWAITING_PAYER, S.AWAITING_MERCHANT, S.ESCALATED})
FINAL_STATES = frozenset({S.CLOSED, S.REJECTED, S.WRITTEN_OFF})
REOPENABLE_STATES = FINAL_STATES
REOPEN_TARGET = S.INVESTIGATING
# Endings that must say why: a reader of the timeline has to understand the decision later.
REASON_REQUIRED = frozenset({S.REJECTED, S.WRITTEN_OFF})

_ENDINGS = frozenset({S.REJECTED, S.WRITTEN_OFF})
# Waiting ends by going back to work (never back to OPEN), to another kind of waiting, or to
# RESOLVED when the awaited party settles the matter (the payer pays the QR, the acquirer refunds).
_FROM_WAITING = frozenset({S.INVESTIGATING, S.ACTION_PENDING, S.AWAITING_FUNDS, S.RESOLVED})

ALLOWED_TRANSITIONS: dict[CaseState, frozenset[CaseState]] = {
    S.OPEN: frozenset({S.INVESTIGATING}) | WAITING_STATES | _ENDINGS,
    S.INVESTIGATING: frozenset({S.ACTION_PENDING, S.RESOLVED}) | WAITING_STATES | _ENDINGS,
    # Back to INVESTIGATING when the chosen action proves wrong; RESOLVED directly when the
    # available balance covered the action and no funding was needed.
    S.ACTION_PENDING: frozenset({S.INVESTIGATING, S.AWAITING_FUNDS, S.RESOLVED})
    | WAITING_STATES | _ENDINGS,
    # Back to ACTION_PENDING when the funds arrived but the action has to be performed again.
    S.AWAITING_FUNDS: frozenset({S.ACTION_PENDING, S.RESOLVED}) | WAITING_STATES | _ENDINGS,
    S.AWAITING_PAYER: (_FROM_WAITING | WAITING_STATES | _ENDINGS) - {S.AWAITING_PAYER},
    S.AWAITING_MERCHANT: (_FROM_WAITING | WAITING_STATES | _ENDINGS) - {S.AWAITING_MERCHANT},
    S.ESCALATED: (_FROM_WAITING | WAITING_STATES | _ENDINGS) - {S.ESCALATED},
    # Resolved means the money was seen back: it only gets closed (or reopened once closed).
    S.RESOLVED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.REJECTED: frozenset(),
    S.WRITTEN_OFF: frozenset(),
}


class IllegalTransition(Conflict):
    """A move the table does not allow; `detail` names the state, the target and what is allowed."""


@dataclass(frozen=True)
class TimelineEvent:
    """One recorded change of a case's state: who, when, from what to what, and why."""

    at: datetime
    actor: str
    command: str  # "move" or "reopen"
    from_state: CaseState
    to_state: CaseState
    reason: str

    @property
    def is_reopening(self) -> bool:
        return self.command == REOPEN


def parse_state(value: CaseState | str) -> CaseState:
    try:
        return CaseState(value)
    except ValueError:
        known = ", ".join(state.value for state in CaseState)
        raise InvalidInput(f"unknown case state {value!r}; known states: {known}") from None


def is_final(state: CaseState | str) -> bool:
    return parse_state(state) in FINAL_STATES


def allowed_targets(state: CaseState | str) -> frozenset[CaseState]:
    """The states a plain move may reach from `state` (reopening is separate)."""
    return ALLOWED_TRANSITIONS[parse_state(state)]


def can_reopen(state: CaseState | str) -> bool:
    return parse_state(state) in REOPENABLE_STATES


def transition(
    state: CaseState | str, target: CaseState | str, actor: str, reason: str, now: datetime
) -> tuple[CaseState, TimelineEvent]:
    """Move a case from `state` to `target` (a state, or the command "reopen").

    Returns the new state and the timeline event to record; raises IllegalTransition (409) for a
    move the table forbids and InvalidInput (422) for an unknown state, a missing actor or reason,
    or a time without an offset.
    """
    current = parse_state(state)
    _require_actor_and_time(actor, now)
    if target == REOPEN:
        return _reopen(current, actor, reason, now)
    wanted = parse_state(target)
    _require_legal_move(current, wanted)
    if wanted in REASON_REQUIRED and not reason.strip():
        raise InvalidInput(f"moving a case to {wanted} needs a reason")
    event = TimelineEvent(now, actor, "move", current, wanted, reason.strip())
    return wanted, event


def _reopen(current: CaseState, actor: str, reason: str, now: datetime) -> tuple[CaseState, TimelineEvent]:
    if current not in REOPENABLE_STATES:
        raise IllegalTransition(
            f"only a closed, rejected or written-off case can be reopened; this case is {current}",
            detail={"state": current.value, "command": REOPEN},
        )
    if not reason.strip():
        raise InvalidInput("reopening a case needs a reason")
    return REOPEN_TARGET, TimelineEvent(now, actor, REOPEN, current, REOPEN_TARGET, reason.strip())


def _require_legal_move(current: CaseState, wanted: CaseState) -> None:
    allowed = ALLOWED_TRANSITIONS[current]
    if wanted in allowed:
        return
    detail = {"state": current.value, "target": wanted.value, "allowed": sorted(s.value for s in allowed)}
    if current in FINAL_STATES:
        message = f"the case is {current}: a finished case cannot change except by reopening it"
    elif current == wanted:
        message = f"the case is already {current}"
    else:
        message = f"a case cannot move from {current} to {wanted}"
    raise IllegalTransition(message, detail=detail)


def _require_actor_and_time(actor: str, now: datetime) -> None:
    if not actor.strip():
        raise InvalidInput("a case change needs the actor who makes it")
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidInput("a case change needs a time with an offset (timezone-aware)")
