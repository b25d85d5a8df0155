"""Dispute use cases (SPEC sections 5 and 6): open, respond (submit), accept, advance, record the outcome.

Each one locks the dispute's case, asks `recoup.disputes.rules` what the change does and performs it
through `recoup.disputes.effects` (ledger, case rung, timeline, audit, webhooks). Services flush;
the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from recoup.audit.service import Actor
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission, Role
from recoup.cases.models import Case
from recoup.cases.repository import get_case, get_case_by_id
from recoup.cases.states import FINAL_STATES, CaseState
from recoup.disputes import rules as R
from recoup.disputes.effects import perform, put_case_on_stage, put_on_record
from recoup.disputes.models import Dispute
from recoup.disputes.postings import post_moves
from recoup.disputes.repository import (
    get_dispute,
    merchant_day,
    open_dispute_of,
    reason_code,
    scheme_rule,
    tenant_rules,
)
from recoup.disputes.submission import choose, freeze
from recoup.errors import Conflict, InvalidInput
from recoup.money import parse_minor
from recoup.recovery.plans import resolve_sale

MAX_NOTE = 2000
RAISED_BY = ("ISSUER", "ACQUIRER")


@dataclass(frozen=True)
class OpenRequest:
    scheme: str
    stage: str
    reason_code: str
    amount: str
    reference: str = ""
    received_on: str = ""  # YYYY-MM-DD; default: the merchant's today
    due_on: str = ""  # YYYY-MM-DD; default: from the stage's rule
    raised_by: str = "ISSUER"
    rrn: str = ""  # the sale, when not the case's own


def parse_day(text: str | date | None, what: str) -> date | None:
    if text is None or isinstance(text, date):
        return text
    cleaned = text.strip()
    if not cleaned:
        return None
    try:
        return date.fromisoformat(cleaned)
    except ValueError:
        raise InvalidInput(f"{what} is a date YYYY-MM-DD, not {text!r}") from None


def open_dispute(session: Session, principal: Principal, case_ref: str, request: OpenRequest,
                 now: datetime) -> Dispute:
    principal.require(Permission.DISPUTE)
    case = get_case(session, principal, case_ref, lock=True)
    return open_on_case(session, principal.actor(), case, request, now)


def open_on_case(session: Session, actor: Actor, case: Case, request: OpenRequest, now: datetime) -> Dispute:
    """Open the case's dispute: checked by the rules, stored, the chargeback debited, put on record."""
    if CaseState(case.state) in FINAL_STATES:
        raise Conflict(f"case {case.number} is {case.state}: reopen it before a dispute is opened on it")
    running = open_dispute_of(session, case)
    if running is not None:
        raise Conflict(f"case {case.number} already has dispute {running.id} running ({running.stage})",
                       detail={"dispute": running.id})
    scheme = scheme_rule(session, case.tenant_id, request.scheme).scheme
    stage = R.parse_stage(request.stage)
    reason = reason_code(session, case.tenant_id, scheme, request.reason_code)
    raised_by = request.raised_by.strip().upper() or "ISSUER"
    if raised_by not in RAISED_BY:
        raise InvalidInput(f"a dispute is raised by the issuer or the acquirer, not {request.raised_by!r}")
    sale = resolve_sale(session, case, request.rrn.strip() or None)
    amount = parse_minor(request.amount, sale.currency)
    today = merchant_day(session, case.merchant_id, now)
    received = parse_day(request.received_on, "the received date") or today
    txn_day = merchant_day(session, case.merchant_id, case.txn_time) if case.txn_time else sale.local_day
    rules = tenant_rules(session, case.tenant_id, scheme)
    due = parse_day(request.due_on, "the due date") or R.due_on(stage, received, txn_day, rules)
    R.check_opening(stage, amount, sale.amount_minor, received, due, today, txn_day, rules, sale.currency)
    opened = R.opened(stage, amount, due, rules)
    dispute = Dispute(
        tenant_id=case.tenant_id, case_id=case.id, merchant_id=case.merchant_id, scheme=scheme, stage=stage.value,
        state=opened.dispute.state.value, reason_code=reason.code, amount_minor=amount, currency=sale.currency,
        reference=request.reference.strip()[:40], rrn=sale.rrn, raised_by=raised_by, received_on=received,
        due_on=due, debited_minor=opened.dispute.debited_minor, fee_minor=opened.dispute.fee_minor,
        credited_minor=0, opened_by=actor.name, opened_at=now, updated_at=now)
    session.add(dispute)
    session.flush()
    post_moves(session, dispute, case.terminal_id, opened.moves, actor.name)
    put_case_on_stage(session, case, dispute, actor, now)
    put_on_record(session, actor, case, dispute, "opened", now,
                  f"{scheme} {stage.value} {reason.code}: {reason.label_en}")
    return dispute


def _locked(session: Session, principal: Principal, dispute_ref: str | int) -> tuple[Case, Dispute]:
    """The dispute and its case, the case locked first (the order every change takes)."""
    principal.require(Permission.DISPUTE)
    dispute = get_dispute(session, principal, dispute_ref)
    case = get_case_by_id(session, dispute.case_id, lock=True)
    session.refresh(dispute)
    return case, dispute


def _note(text: str) -> str:
    cleaned = text.strip()
    if len(cleaned) > MAX_NOTE:
        raise InvalidInput(f"a note has at most {MAX_NOTE} characters")
    return cleaned


def respond(session: Session, principal: Principal, dispute_ref: str | int, evidence_ids: Sequence[int],
            now: datetime, note: str = "", late_reason: str = "", *, chosen_only: bool = False) -> Dispute:
    """Submit the answer of this stage with the chosen evidence, frozen with its hashes (none chosen:
    what the reason code calls for, unless `chosen_only`). After the due date only an admin may answer,
    with a reason."""
    case, dispute = _locked(session, principal, dispute_ref)
    if chosen_only and not evidence_ids:
        raise InvalidInput("choose at least one document to submit")
    late = _note(late_reason)
    if late and principal.role != Role.ADMIN:
        raise InvalidInput("only an admin answers after the due date")
    items = choose(session, dispute, evidence_ids)
    submission = freeze(session, dispute, items, principal.username, now, _note(note), late)
    perform(session, principal.actor(), case, dispute, R.Event.RESPOND, now,
            f"{submission.stage} answered with {len(items)} document(s), manifest {submission.manifest_sha256}"
            + (f"; late: {late}" if late else ""), late_allowed=bool(late))
    return dispute


def accept(session: Session, principal: Principal, dispute_ref: str | int, now: datetime, note: str = "") -> Dispute:
    case, dispute = _locked(session, principal, dispute_ref)
    perform(session, principal.actor(), case, dispute, R.Event.ACCEPT, now, _note(note) or "accepted")
    return dispute


def record_outcome(session: Session, principal: Principal, dispute_ref: str | int, outcome: str, now: datetime,
                   note: str = "") -> Dispute:
    case, dispute = _locked(session, principal, dispute_ref)
    try:
        decided = R.Outcome(outcome.strip().upper())
    except ValueError:
        raise InvalidInput(f"the outcome is won, lost or withdrawn, not {outcome!r}") from None
    perform(session, principal.actor(), case, dispute, R.Event.OUTCOME, now, _note(note) or decided.value,
            outcome=decided)
    return dispute


def advance(session: Session, principal: Principal, dispute_ref: str | int, stage: str, now: datetime,
            received_on: str | date | None = None, due_on: str | date | None = None, reference: str = "") -> Dispute:
    """The scheme's next stage arrived (a chargeback after a retrieval, pre-arbitration, arbitration)."""
    case, dispute = _locked(session, principal, dispute_ref)
    return advance_dispute(session, principal.actor(), case, dispute, R.parse_stage(stage), now,
                           received_on, due_on, reference)


def advance_dispute(session: Session, actor: Actor, case: Case, dispute: Dispute, stage: R.Stage, now: datetime,
                    received_on: str | date | None = None, due_on: str | date | None = None,
                    reference: str = "") -> Dispute:
    today = merchant_day(session, dispute.merchant_id, now)
    received = parse_day(received_on, "the received date") or today
    if received > today:
        raise InvalidInput(f"the received date {received} is in the future")
    txn_day = merchant_day(session, case.merchant_id, case.txn_time) if case.txn_time else None
    due = parse_day(due_on, "the due date") or R.due_on(stage, received, txn_day,
                                                       tenant_rules(session, case.tenant_id, dispute.scheme))
    if due < today:
        raise InvalidInput(f"the due date {due} is already past")
    if reference.strip():
        dispute.reference = reference.strip()[:40]
    perform(session, actor, case, dispute, R.Event.ADVANCE, now, f"{stage.value} received {received}",
            stage=stage, due=due)
    return dispute


def expire(session: Session, actor: Actor, case: Case, dispute: Dispute, now: datetime) -> None:
    perform(session, actor, case, dispute, R.Event.EXPIRE, now, f"no answer by {dispute.due_on}")
