"""Cases follow their findings as files keep arriving (SPEC section 2 step 9, section 5): pure rules.

Called by `recoup.cases.following` once per case a saved reconciliation run has something to say
about, inside the run's one transaction. No framework, no clock: the caller passes what it found.

- a case whose findings all went away is RESOLVED by the line that explains it (a refund, void or
  reversal at the terminal, a late settlement line), unless a person works the case (then it is
  LEFT as it is and its owner alerted), or the run cannot judge it yet (the day's settlement, or the
  explaining refund's settlement, is not imported: NOT_JUDGED, nothing changes);
- a finding whose amount changed changes the case's amount at stake (alerting when it grows);
- a finding that comes back to a case the runs resolved reopens it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from recoup.money import format_major


class Outcome(StrEnum):
    OPENED = "opened"
    UPDATED = "updated"
    RESOLVED = "resolved"
    LEFT = "left"
    REOPENED = "reopened"
    NOT_JUDGED = "not_judged"
    NOTHING = "nothing"


OUTCOMES_SHOWN = (Outcome.OPENED, Outcome.UPDATED, Outcome.RESOLVED, Outcome.LEFT, Outcome.REOPENED,
                  Outcome.NOT_JUDGED)
RESOLVED_BY_FILES = "RESOLVED"  # the follow-up states a run leaves on a case
LEFT_FOR_PERSON = "LEFT"


@dataclass(frozen=True)
class Explanation:
    """The line that shows the money moved: a journal refund/void/reversal or a settlement line."""

    source: str  # "journal" or "settlement"
    txn_type: str
    rrn: str
    day: str  # ISO date (merchant-local)
    amount_minor: int
    settled: bool  # the money is seen: a settlement line carries it, or nothing had to settle (a void)
    recovered_minor: int  # what the ledger shows moved (the settlement posting), else the line's amount
    currency: str = "CNY"

    def as_data(self) -> dict[str, object]:
        return {"source": self.source, "txn_type": self.txn_type, "rrn": self.rrn, "day": self.day,
                "amount_minor": self.amount_minor, "recovered_minor": self.recovered_minor,
                "currency": self.currency}


@dataclass(frozen=True)
class CaseView:
    """What the rules need to know about one case and its findings in this run."""

    state: str
    follow_state: str | None  # RESOLVED / LEFT when an earlier run decided, else None
    live_findings: int  # of its findings, how many this run reported
    gone_findings: int  # how many it did not (all in the run's scope)
    day_covered: bool  # the settlement covers the day of its transaction
    explanation: Explanation | None
    touched: str  # why a person works it ("" when nobody does)
    resolvable: bool  # the state machine has a way to RESOLVED from the case's state


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str = ""


FINISHED = frozenset({"CLOSED", "REJECTED", "WRITTEN_OFF"})


def decide(case: CaseView) -> Decision:
    """What a run does to a case it opened before (amount changes are decided by `amount_change`)."""
    if case.live_findings:
        if case.follow_state == RESOLVED_BY_FILES and case.state in {"RESOLVED", "CLOSED"}:
            return Decision(Outcome.REOPENED, "the finding is back")
        return Decision(Outcome.NOTHING)
    if not case.gone_findings or case.follow_state is not None:
        return Decision(Outcome.NOTHING)  # decided by an earlier run: never twice
    if case.state in FINISHED or case.state == "RESOLVED":
        return Decision(Outcome.NOTHING)
    return _judge_gone(case)


def _judge_gone(case: CaseView) -> Decision:
    if not case.day_covered:
        return Decision(Outcome.NOT_JUDGED, "the settlement of the transaction's day is not imported yet")
    line = case.explanation
    if line is not None and not line.settled:
        return Decision(Outcome.NOT_JUDGED, f"the {line.txn_type} {line.rrn} is not settled yet")
    if line is None:
        return Decision(Outcome.LEFT, "the finding is gone but no imported line shows the money moving")
    if case.touched:
        return Decision(Outcome.LEFT, f"the finding is gone ({describe(line)}) but {case.touched}")
    if not case.resolvable:
        return Decision(Outcome.LEFT, f"the finding is gone ({describe(line)}) but a {case.state} case "
                                      "cannot be resolved")
    return Decision(Outcome.RESOLVED, describe(line))


def describe(line: Explanation) -> str:
    where = "settlement" if line.source == "settlement" else "journal"
    return (f"{line.txn_type} {line.rrn} of {line.day} for {format_major(line.amount_minor, line.currency)} "
            f"({where} line)")


def amount_change(before_minor: int, after_minor: int) -> tuple[int, bool]:
    """The change of a finding's amount at stake and whether the owner must hear of it (it grew)."""
    delta = after_minor - before_minor
    return delta, delta > 0
