"""A saved reconciliation run brings the cases it opened before up to date (SPEC section 5, issue 17).

`follow_cases` runs inside the run's one transaction (the caller commits): a run killed half-way
leaves nothing behind, and running it again changes nothing, because every decision leaves a mark
(the follow-up row, the stored finding's new amount) that the next run reads. The decisions are
those of the pure `recoup.cases.follow_rules`; what they need is read here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from recoup.audit.service import Actor, record
from recoup.cases.follow_rules import (
    LEFT_FOR_PERSON,
    OUTCOMES_SHOWN,
    RESOLVED_BY_FILES,
    CaseView,
    Decision,
    Outcome,
    amount_change,
)
from recoup.cases.follow_rules import decide as decide_case
from recoup.cases.models import Case, CaseEvent
from recoup.cases.opening import at_stake_minor
from recoup.cases.recording import add_event, publish
from recoup.cases.service import change_state, raise_alert, state_path, walk_to
from recoup.cases.states import REOPEN, CaseState, can_reopen
from recoup.reconciliation.explaining import explain, settlement_covers
from recoup.reconciliation.models import CaseFollowUp, FollowSetting, StoredFinding
from recoup.recovery.models import RecoveryAction, RecoveryStatus

DEFAULT_TOUCHED_DAYS = 14
TOUCH_EVENTS = ("note", "message", "message_sent", "message_reply", "reply", "call")
IN_FLIGHT = (RecoveryStatus.PENDING.value, RecoveryStatus.AWAITING_FUNDS.value, RecoveryStatus.INSTRUCTED.value)
LEFT_ALONE = ("REJECTED", "WRITTEN_OFF")
# Cases no run changes unless a run resolved them (then a comeback reopens them).
NOT_FOLLOWED = ("REJECTED", "WRITTEN_OFF", "CLOSED", "RESOLVED")


class Amounts(Protocol):
    """A finding's amounts as the run reports them."""

    @property
    def charged_minor(self) -> int: ...
    @property
    def expected_minor(self) -> int: ...
    @property
    def difference_minor(self) -> int: ...


@dataclass
class FollowReport:
    """Cases by outcome and kind: {"resolved": {"DUPLICATE_CHARGE": 1}, ...}."""

    counts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, outcome: Outcome, kind: str) -> None:
        self.counts[outcome.value][kind] += 1

    def total(self, outcome: Outcome) -> int:
        return sum(self.counts.get(outcome.value, Counter()).values())

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {outcome.value: dict(sorted(self.counts.get(outcome.value, Counter()).items()))
                for outcome in OUTCOMES_SHOWN}


@dataclass(frozen=True)
class RunContext:
    session: Session
    actor: Actor
    tenant_id: int
    run_id: int
    now: datetime
    timezones: Mapping[str, str]  # merchant id -> zone


def follow_cases(ctx: RunContext, reported: Mapping[str, Amounts], in_scope: Callable[[StoredFinding], bool],
                 report: FollowReport) -> None:
    """Compare the run's findings (`reported`, by finding id) with the cases earlier findings opened."""
    by_case = _findings_by_case(ctx.session, ctx.tenant_id)
    follow_ups = _follow_ups(ctx.session, ctx.tenant_id)
    cases = _cases(ctx.session, sorted(by_case))
    days = _touched_days(ctx.session, ctx.tenant_id)
    for case_id, findings in sorted(by_case.items()):
        case = cases.get(case_id)
        if case is None or case.state in LEFT_ALONE or not all(in_scope(f) for f in findings):
            continue
        live = [f for f in findings if f.finding_id in reported]
        if _update_amounts(ctx, case, live, reported):
            report.add(Outcome.UPDATED, case.kind)
        view = _view(ctx, case, findings, live, follow_ups.get(case_id), days)
        decision = decide_case(view)
        _apply(ctx, case, view, decision, follow_ups.get(case_id))
        if decision.outcome != Outcome.NOTHING:
            report.add(decision.outcome, case.kind)


def _view(ctx: RunContext, case: Case, findings: list[StoredFinding], live: list[StoredFinding],
          follow_up: CaseFollowUp | None, days: int) -> CaseView:
    gone = [f for f in findings if f not in live]
    judging = not live and follow_up is None and case.state not in {"RESOLVED", "CLOSED"}
    explanation = explain(ctx.session, ctx.tenant_id, gone) if judging else None
    covered = all(_covered(ctx, f) for f in gone) if judging else True
    touched = _touched(ctx.session, case, ctx.now, days) if judging and explanation else ""
    resolvable = case.state == "RESOLVED" or state_path(CaseState(case.state), CaseState.RESOLVED) is not None
    return CaseView(case.state, follow_up.state if follow_up else None, len(live), len(gone), covered,
                    explanation, touched, resolvable)


def _covered(ctx: RunContext, finding: StoredFinding) -> bool:
    if finding.txn_time is None:
        return True
    zone = ZoneInfo(ctx.timezones.get(finding.merchant_id) or "Asia/Shanghai")
    return settlement_covers(ctx.session, ctx.tenant_id, finding.merchant_id, finding.txn_time.astimezone(zone).date())


def _apply(ctx: RunContext, case: Case, view: CaseView, decision: Decision, follow_up: CaseFollowUp | None) -> None:
    if decision.outcome == Outcome.RESOLVED:
        _resolve(ctx, case, view, decision.reason)
    elif decision.outcome == Outcome.LEFT:
        message = f"run {ctx.run_id}: {decision.reason}"
        raise_alert(ctx.session, case, "FINDING_GONE", message, ctx.now, actor=ctx.actor)
        _mark(ctx, case, LEFT_FOR_PERSON, view.explanation.as_data() if view.explanation else None)
    elif decision.outcome == Outcome.REOPENED:
        _reopen(ctx, case)
    if view.live_findings and follow_up is not None:
        ctx.session.execute(delete(CaseFollowUp).where(CaseFollowUp.id == follow_up.id))


def _resolve(ctx: RunContext, case: Case, view: CaseView, reason: str) -> None:
    line = view.explanation
    assert line is not None
    before = {"state": case.state, "recovered_minor": case.recovered_minor}
    case.recovered_minor = line.recovered_minor
    note = f"resolved by a later file, run {ctx.run_id}: {reason}"
    add_event(ctx.session, case, ctx.actor.name, "resolved_by_file", note,
              data={"run_id": ctx.run_id, "line": line.as_data()}, now=ctx.now)
    walk_to(ctx.session, case, ctx.actor, CaseState.RESOLVED, note, ctx.now)
    record(ctx.session, ctx.actor, "case.follow.resolve", "case", case.number, tenant_id=case.tenant_id,
           before=before, after={"state": case.state, "recovered_minor": case.recovered_minor,
                                 "line": line.as_data(), "run_id": ctx.run_id}, note=note, at=ctx.now)
    _mark(ctx, case, RESOLVED_BY_FILES, line.as_data())


def _reopen(ctx: RunContext, case: Case) -> None:
    """The finding came back (a refund reversed): the resolved case reopens, recorded."""
    reason = f"the finding is back in run {ctx.run_id}"
    if case.state == CaseState.RESOLVED.value and not can_reopen(case.state):
        # The machine only reopens a finished case: close it first, both moves on the timeline.
        change_state(ctx.session, case, ctx.actor, CaseState.CLOSED, f"closed to reopen: {reason}", ctx.now)
    change_state(ctx.session, case, ctx.actor, REOPEN, reason, ctx.now)
    before = case.recovered_minor
    case.recovered_minor = 0
    record(ctx.session, ctx.actor, "case.follow.reopen", "case", case.number, tenant_id=case.tenant_id,
           before={"recovered_minor": before}, after={"state": case.state, "recovered_minor": 0,
                                                      "run_id": ctx.run_id}, note=reason, at=ctx.now)


def _update_amounts(ctx: RunContext, case: Case, live: list[StoredFinding], reported: Mapping[str, Amounts]) -> bool:
    """Live findings whose amounts changed: the stored finding and the case's amount at stake follow."""
    changed = False
    for finding in live:
        now_seen = reported[finding.finding_id]
        before = at_stake_minor(finding)
        if (finding.charged_minor, finding.expected_minor) == (now_seen.charged_minor, now_seen.expected_minor):
            continue
        finding.charged_minor, finding.expected_minor = now_seen.charged_minor, now_seen.expected_minor
        finding.difference_minor = now_seen.difference_minor
        delta, grew = amount_change(before, at_stake_minor(finding))
        if delta == 0:
            continue
        old = case.at_stake_minor
        case.at_stake_minor = max(0, old + delta)
        note = f"{finding.kind} {finding.rrn or finding.order_no}: amount at stake {old} -> {case.at_stake_minor}"
        add_event(ctx.session, case, ctx.actor.name, "amount_changed", f"run {ctx.run_id}: {note}",
                  data={"run_id": ctx.run_id, "finding_id": finding.finding_id, "at_stake_minor_before": old,
                        "at_stake_minor_after": case.at_stake_minor}, now=ctx.now)
        record(ctx.session, ctx.actor, "case.follow.amount", "case", case.number, tenant_id=case.tenant_id,
               before={"at_stake_minor": old}, after={"at_stake_minor": case.at_stake_minor}, at=ctx.now)
        publish(ctx.session, case, "case.updated", ctx.now)
        if grew:
            raise_alert(ctx.session, case, "AMOUNT_GREW", f"run {ctx.run_id}: {note}", ctx.now, actor=ctx.actor)
        changed = True
    return changed


def _mark(ctx: RunContext, case: Case, state: str, line: dict[str, object] | None) -> None:
    ctx.session.add(CaseFollowUp(tenant_id=case.tenant_id, case_id=case.id, state=state, run_id=ctx.run_id,
                                 line=line, at=ctx.now))
    ctx.session.flush()


def _touched(session: Session, case: Case, now: datetime, days: int) -> str:
    """Why a person works the case, or "" (an action in flight, a recent note or message, an owner)."""
    in_flight = session.execute(select(func.count()).select_from(RecoveryAction).where(
        RecoveryAction.case_id == case.id, RecoveryAction.status.in_(IN_FLIGHT))).scalar_one()
    if in_flight:
        return "a recovery action is in flight"
    recent = session.execute(select(func.count()).select_from(CaseEvent).where(
        CaseEvent.case_id == case.id, CaseEvent.event.in_(TOUCH_EVENTS),
        CaseEvent.at >= now - timedelta(days=days))).scalar_one()
    if recent:
        return f"a person wrote on the case in the last {days} days"
    if case.owner:
        return f"{case.owner} owns the case"
    return ""


def _touched_days(session: Session, tenant_id: int) -> int:
    setting = session.get(FollowSetting, tenant_id)
    return setting.touched_days if setting is not None else DEFAULT_TOUCHED_DAYS


def _findings_by_case(session: Session, tenant_id: int) -> dict[int, list[StoredFinding]]:
    """The stored findings of the cases a run may change: those still worked, and those the runs resolved."""
    resolved_by_runs = select(CaseFollowUp.case_id).where(CaseFollowUp.tenant_id == tenant_id,
                                                          CaseFollowUp.state == RESOLVED_BY_FILES)
    rows = session.execute(select(StoredFinding).join(Case, Case.id == StoredFinding.case_id).where(
        StoredFinding.tenant_id == tenant_id,
        or_(Case.state.not_in(NOT_FOLLOWED), Case.id.in_(resolved_by_runs))).order_by(StoredFinding.id))
    grouped: dict[int, list[StoredFinding]] = defaultdict(list)
    for finding in rows.scalars():
        assert finding.case_id is not None
        grouped[finding.case_id].append(finding)
    return grouped


def _follow_ups(session: Session, tenant_id: int) -> dict[int, CaseFollowUp]:
    rows = session.execute(select(CaseFollowUp).where(CaseFollowUp.tenant_id == tenant_id)).scalars()
    return {row.case_id: row for row in rows}


def _cases(session: Session, ids: list[int]) -> dict[int, Case]:
    found: dict[int, Case] = {}
    for start in range(0, len(ids), 500):
        rows = session.execute(select(Case).where(Case.id.in_(ids[start:start + 500]))).scalars()
        found.update((case.id, case) for case in rows)
    return found
