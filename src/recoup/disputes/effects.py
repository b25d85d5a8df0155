"""How a step of a dispute is performed and put on record: its fields, the ledger, the case's rung,
the case timeline, the audit trail and the webhook outbox. Everything flushes; the caller commits."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy.orm import Session

from recoup.audit.service import Actor, record
from recoup.cases.models import Case
from recoup.cases.recording import add_event
from recoup.cases.schemas import case_row
from recoup.cases.service import change_state, walk_to
from recoup.cases.states import FINAL_STATES, CaseState, allowed_targets
from recoup.disputes import rules as R
from recoup.disputes.models import Dispute
from recoup.disputes.postings import post_moves
from recoup.disputes.repository import merchant_day, merchant_zone, tenant_rules
from recoup.disputes.schemas import dispute_row
from recoup.errors import RecoupError
from recoup.webhooks.service import EVENT_TYPES, emit

# Until the outbox knows dispute events, a dispute's change is announced as a change of its case.
OPENED_EVENT = "dispute.opened" if "dispute.opened" in EVENT_TYPES else "case.updated"
UPDATED_EVENT = "dispute.updated" if "dispute.updated" in EVENT_TYPES else "case.updated"


def view(dispute: Dispute) -> R.Dispute:
    return R.Dispute(R.Stage(dispute.stage), R.DisputeState(dispute.state), dispute.amount_minor, dispute.due_on,
                     R.Outcome(dispute.outcome) if dispute.outcome else None, dispute.debited_minor,
                     dispute.fee_minor, dispute.credited_minor)


def snapshot(dispute: Dispute) -> dict[str, object]:
    return {"stage": dispute.stage, "state": dispute.state, "due_on": dispute.due_on.isoformat(),
            "outcome": dispute.outcome, "debited_minor": dispute.debited_minor,
            "credited_minor": dispute.credited_minor}


def perform(session: Session, actor: Actor, case: Case, dispute: Dispute, event: R.Event, now: datetime,
            note: str = "", *, stage: R.Stage | None = None, due: date | None = None,
            outcome: R.Outcome | None = None, late_allowed: bool = False) -> R.Step:
    """Ask the rules what `event` does, then store it, move the money and put it on record."""
    today = merchant_day(session, dispute.merchant_id, now)
    rules = tenant_rules(session, dispute.tenant_id, dispute.scheme)
    before = snapshot(dispute)
    result = R.step(view(dispute), event, today, rules=rules, stage=stage, due=due, outcome=outcome,
                    late_allowed=late_allowed)
    store(dispute, result.dispute, today, now)
    post_moves(session, dispute, case.terminal_id, result.moves, actor.name)
    if dispute.stage != before["stage"] or dispute.state == R.DisputeState.AWAITING_RESPONSE:
        put_case_on_stage(session, case, dispute, actor, now)
    put_on_record(session, actor, case, dispute, event.value.lower(), now, note, before)
    if dispute.state == R.DisputeState.ENDED:
        _end_case_recovery(session, actor, case, dispute, now)
    return result


def store(dispute: Dispute, rules_view: R.Dispute, today: date, now: datetime) -> None:
    dispute.stage, dispute.state = rules_view.stage.value, rules_view.state.value
    dispute.due_on = rules_view.due_on
    dispute.debited_minor, dispute.fee_minor = rules_view.debited_minor, rules_view.fee_minor
    dispute.credited_minor = rules_view.credited_minor
    if rules_view.outcome is not None and dispute.outcome is None:
        dispute.outcome, dispute.outcome_on = rules_view.outcome.value, today
    dispute.updated_at = now


def due_moment(session: Session, dispute: Dispute) -> datetime:
    """The end of the due day in the merchant's zone."""
    zone = merchant_zone(session, dispute.merchant_id)
    return datetime.combine(dispute.due_on, time(23, 59, 59), zone).astimezone(UTC)


def put_case_on_stage(session: Session, case: Case, dispute: Dispute, actor: Actor, now: datetime) -> None:
    """The case climbs to (or moves along) the SCHEME_DISPUTE rung, with the dispute's due date."""
    if CaseState(case.state) in FINAL_STATES:
        return
    case.rung, case.stage, case.rung_started_at = "SCHEME_DISPUTE", dispute.stage, now
    case.deadline_at, case.owner_role, case.alerted_deadline_at = due_moment(session, dispute), "acquirer_ops", None
    if case.state != CaseState.ESCALATED.value and CaseState.ESCALATED in allowed_targets(case.state):
        change_state(session, case, actor, CaseState.ESCALATED, f"scheme dispute {dispute.id}: {dispute.stage}", now)


def put_on_record(session: Session, actor: Actor, case: Case, dispute: Dispute, event: str, now: datetime,
                  note: str = "", before: dict[str, object] | None = None) -> None:
    after = snapshot(dispute)
    data: dict[str, object] = {"dispute": dispute.id, "scheme": dispute.scheme, "reason_code": dispute.reason_code,
                               **after}
    add_event(session, case, actor.name, f"dispute.{event}", note, data=data, now=now)
    record(session, actor, f"dispute.{event}", "dispute", str(dispute.id), tenant_id=dispute.tenant_id,
           before=before, after=after, note=note, at=now)
    kind = OPENED_EVENT if before is None else UPDATED_EVENT
    emit(session, case.tenant_id, kind, {"case": case_row(case), "dispute": dispute_row(dispute, case.number),
                                         "change": f"dispute.{event}"}, now)


def _end_case_recovery(session: Session, actor: Actor, case: Case, dispute: Dispute, now: datetime) -> None:
    """The dispute ended: the money question of the case is settled either way (won back, or it stands)."""
    if CaseState(case.state) in FINAL_STATES or case.state == CaseState.RESOLVED.value:
        return
    if dispute.credited_minor:
        case.recovered_minor = min(case.at_stake_minor or dispute.credited_minor,
                                   case.recovered_minor + dispute.credited_minor)
    reason = f"scheme dispute {dispute.id} ended: {dispute.outcome}"
    try:
        walk_to(session, case, actor, CaseState.RESOLVED, reason, now)
    except RecoupError:  # a state the machine cannot leave for RESOLVED: the timeline says why already
        add_event(session, case, actor.name, "note", reason, now=now)
