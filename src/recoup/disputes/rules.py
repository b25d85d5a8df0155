"""Scheme disputes (SPEC sections 5 and 6): the cycle of a dispute, its due dates and the money it moves.

Pure rules: no framework import, no clock. `recoup.disputes.service` asks `step(...)` what an event
does to a dispute (under the lock of the dispute's case) and performs the answer; `due_on(...)` gives
the response due date of a stage from the tenant's ladder (its stage days and dispute window).

The cycle: a retrieval request (调单) may become a chargeback (退单); a chargeback is answered by a
re-presentment (再请款); the issuer may come back with pre-arbitration, then arbitration (仲裁).
Money: a chargeback debits the merchant (the disputed amount, and the scheme's fee when configured);
a won re-presentment or arbitration, or a chargeback the issuer withdraws, credits the amount back;
a lost, accepted or expired one leaves it. Nothing is ever debited twice or credited more than was
debited, so no sequence of events moves more than the disputed amount.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from recoup.errors import Conflict, InvalidInput
from recoup.money import format_major


class Stage(StrEnum):  # the same codes as the case ladder's dispute stages
    RETRIEVAL = "RETRIEVAL"
    CHARGEBACK = "CHARGEBACK"
    REPRESENTMENT = "REPRESENTMENT"
    PRE_ARBITRATION = "PRE_ARBITRATION"
    ARBITRATION = "ARBITRATION"


class DisputeState(StrEnum):
    AWAITING_RESPONSE = "AWAITING_RESPONSE"  # the scheme waits for our answer by the due date
    RESPONDED = "RESPONDED"  # our answer is submitted; the scheme or the issuer moves next
    ENDED = "ENDED"  # an outcome is recorded


class Outcome(StrEnum):
    WON = "WON"
    LOST = "LOST"
    ACCEPTED = "ACCEPTED"
    WITHDRAWN = "WITHDRAWN"
    EXPIRED = "EXPIRED"


class Event(StrEnum):
    RESPOND = "RESPOND"  # submit our answer (a chargeback's answer is the re-presentment)
    ADVANCE = "ADVANCE"  # the scheme's next stage arrives (a notice)
    ACCEPT = "ACCEPT"  # we accept the chargeback: the money stays with the cardholder
    OUTCOME = "OUTCOME"  # the scheme's decision: won, lost or withdrawn
    EXPIRE = "EXPIRE"  # the due date passed with no answer


SCHEMES = ("UNIONPAY", "VISA", "MASTERCARD")
OPENING_STAGES = frozenset({Stage.RETRIEVAL, Stage.CHARGEBACK})
# The stage the issuer's next notice may bring, after each stage ("no arbitration before a re-presentment").
NEXT_STAGES: dict[Stage, frozenset[Stage]] = {
    Stage.RETRIEVAL: frozenset({Stage.CHARGEBACK}),
    Stage.CHARGEBACK: frozenset(),  # a chargeback moves on by our re-presentment (RESPOND)
    Stage.REPRESENTMENT: frozenset({Stage.PRE_ARBITRATION, Stage.ARBITRATION}),
    Stage.PRE_ARBITRATION: frozenset({Stage.ARBITRATION}),
    Stage.ARBITRATION: frozenset(),
}
ACCEPTABLE = frozenset({Stage.CHARGEBACK, Stage.PRE_ARBITRATION, Stage.ARBITRATION})
DECIDED_BY_SCHEME = frozenset({Outcome.WON, Outcome.LOST, Outcome.WITHDRAWN})
GIVES_BACK = frozenset({Outcome.WON, Outcome.WITHDRAWN})
WINDOW_STAGES = OPENING_STAGES  # raised by the issuer: never after the dispute window of the transaction


class DisputeRefused(Conflict):
    """A move the dispute cycle forbids."""


class DeadlinePassed(DisputeRefused):
    """An answer after the due date, without an admin's override."""


@dataclass(frozen=True)
class Rules:
    """A tenant's dispute deadlines (from its ladder settings) and the scheme fee of a chargeback."""

    stage_days: dict[Stage, int]
    window_days: int = 120
    fee_minor: int = 0


DEFAULT_RULES = Rules({Stage.RETRIEVAL: 20, Stage.CHARGEBACK: 30, Stage.REPRESENTMENT: 30,
                       Stage.PRE_ARBITRATION: 30, Stage.ARBITRATION: 10})


@dataclass(frozen=True)
class Dispute:
    """What the rules know of a dispute; money in minor units."""

    stage: Stage
    state: DisputeState
    amount_minor: int
    due_on: date
    outcome: Outcome | None = None
    debited_minor: int = 0
    fee_minor: int = 0
    credited_minor: int = 0


@dataclass(frozen=True)
class Move:
    """Money a step moves: DEBIT (the disputed amount), FEE, or CREDIT (the amount given back)."""

    kind: str
    amount_minor: int


@dataclass(frozen=True)
class Step:
    dispute: Dispute
    moves: tuple[Move, ...] = ()


def parse_stage(text: str) -> Stage:
    cleaned = text.strip().upper().replace("-", "_")
    aliases = {"RE_PRESENTMENT": "REPRESENTMENT", "PREARBITRATION": "PRE_ARBITRATION", "PRE_ARB": "PRE_ARBITRATION"}
    try:
        return Stage(aliases.get(cleaned, cleaned))
    except ValueError:
        raise InvalidInput(f"unknown dispute stage {text!r}: one of {', '.join(s.value.lower() for s in Stage)}") \
            from None


def parse_scheme(text: str, known: tuple[str, ...] | list[str] = SCHEMES) -> str:
    cleaned = text.strip().upper().replace(" ", "")
    if cleaned not in known:
        raise InvalidInput(f"unknown card scheme {text!r}: one of {', '.join(s.lower() for s in known)}")
    return cleaned


def due_on(stage: Stage, received_on: date, txn_day: date | None, rules: Rules = DEFAULT_RULES) -> date:
    """The response due date of a stage received on `received_on`: its days, cut to the dispute
    window of the transaction for the stages the issuer raises first."""
    due = received_on + timedelta(days=rules.stage_days[stage])
    if txn_day is not None and stage in WINDOW_STAGES:
        due = min(due, window_closes(txn_day, rules))
    return due


def window_closes(txn_day: date, rules: Rules = DEFAULT_RULES) -> date:
    return txn_day + timedelta(days=rules.window_days)


def check_opening(stage: Stage, amount_minor: int, sale_minor: int, received_on: date, due: date,
                  today: date, txn_day: date | None, rules: Rules = DEFAULT_RULES, currency: str = "CNY") -> None:
    """Refuse a dispute that cannot exist: a later stage first, an amount above the sale, a notice
    after the window, a received date in the future or a due date already past."""
    if stage not in OPENING_STAGES:
        raise DisputeRefused(f"a dispute opens as a retrieval request or a chargeback, not {stage.value}")
    if amount_minor <= 0:
        raise InvalidInput("the disputed amount must be positive")
    if amount_minor > sale_minor:
        raise InvalidInput(f"the disputed amount ({format_major(amount_minor, currency)}) is above the sale "
                           f"({format_major(sale_minor, currency)} {currency})")
    if received_on > today:
        raise InvalidInput(f"the received date {received_on} is in the future")
    if txn_day is not None and received_on > window_closes(txn_day, rules):
        raise DisputeRefused(f"no dispute after {rules.window_days} days from the transaction ({txn_day})")
    if due < today:
        raise InvalidInput(f"the due date {due} is already past")


def opened(stage: Stage, amount_minor: int, due: date, rules: Rules = DEFAULT_RULES) -> Step:
    dispute = Dispute(stage, DisputeState.AWAITING_RESPONSE, amount_minor, due)
    return _debit(dispute, rules) if stage == Stage.CHARGEBACK else Step(dispute)


def step(dispute: Dispute, event: Event, today: date, *, rules: Rules = DEFAULT_RULES, stage: Stage | None = None,
         due: date | None = None, outcome: Outcome | None = None, late_allowed: bool = False) -> Step:
    """What `event` does to the dispute on `today` (the merchant's day); raises DisputeRefused."""
    if dispute.state == DisputeState.ENDED:
        raise DisputeRefused(f"the dispute has ended ({dispute.outcome}): it cannot change")
    if event == Event.RESPOND:
        return _respond(dispute, today, late_allowed, rules)
    if event == Event.ADVANCE:
        return _advance(dispute, stage, due, rules)
    if event == Event.ACCEPT:
        if dispute.stage not in ACCEPTABLE:
            raise DisputeRefused(f"only a chargeback, pre-arbitration or arbitration is accepted, "
                                 f"not a {dispute.stage.value}")
        return _end(dispute, Outcome.ACCEPTED)
    if event == Event.OUTCOME:
        return _decided(dispute, outcome)
    if dispute.state != DisputeState.AWAITING_RESPONSE or today <= dispute.due_on:
        raise DisputeRefused("only an unanswered dispute past its due date expires")
    return _end(dispute, Outcome.EXPIRED)


def _respond(dispute: Dispute, today: date, late_allowed: bool, rules: Rules) -> Step:
    if dispute.state != DisputeState.AWAITING_RESPONSE:
        raise DisputeRefused("the dispute was answered already: wait for the scheme's next step")
    if today > dispute.due_on and not late_allowed:
        raise DeadlinePassed(f"the response was due on {dispute.due_on}: only an admin may answer late, "
                             "with a reason")
    if dispute.stage == Stage.CHARGEBACK:
        due = today + timedelta(days=rules.stage_days[Stage.REPRESENTMENT])
        return Step(replace(dispute, stage=Stage.REPRESENTMENT, state=DisputeState.RESPONDED, due_on=due))
    return Step(replace(dispute, state=DisputeState.RESPONDED))


def _advance(dispute: Dispute, stage: Stage | None, due: date | None, rules: Rules) -> Step:
    if stage is None or due is None:
        raise InvalidInput("the next stage and its due date are needed")
    if stage not in NEXT_STAGES[dispute.stage]:
        allowed = ", ".join(sorted(s.value for s in NEXT_STAGES[dispute.stage])) or "none"
        raise DisputeRefused(f"a {dispute.stage.value} cannot move to {stage.value} (next: {allowed})")
    moved = replace(dispute, stage=stage, state=DisputeState.AWAITING_RESPONSE, due_on=due)
    return _debit(moved, rules) if stage == Stage.CHARGEBACK else Step(moved)


def _decided(dispute: Dispute, outcome: Outcome | None) -> Step:
    if outcome not in DECIDED_BY_SCHEME:
        raise InvalidInput("the scheme's decision is won, lost or withdrawn")
    if outcome == Outcome.WON and dispute.stage in (Stage.RETRIEVAL, Stage.CHARGEBACK):
        raise DisputeRefused("a dispute is won by a re-presentment or an arbitration: answer the chargeback first")
    return _end(dispute, outcome)


def _end(dispute: Dispute, outcome: Outcome) -> Step:
    ended = replace(dispute, state=DisputeState.ENDED, outcome=outcome)
    owed_back = dispute.debited_minor - dispute.credited_minor
    if outcome in GIVES_BACK and owed_back > 0:
        return Step(replace(ended, credited_minor=dispute.credited_minor + owed_back), (Move("CREDIT", owed_back),))
    return Step(ended)


def _debit(dispute: Dispute, rules: Rules) -> Step:
    if dispute.debited_minor:
        return Step(dispute)
    moves = [Move("DEBIT", dispute.amount_minor)]
    if rules.fee_minor > 0:
        moves.append(Move("FEE", rules.fee_minor))
    return Step(replace(dispute, debited_minor=dispute.amount_minor, fee_minor=max(rules.fee_minor, 0)),
                tuple(moves))
