"""Performing recorded recovery actions: the provider call outside any transaction, its answer after.

`execute` is step (2) and (3) of `recoup.recovery.service.perform`; the worker also calls
`fund_waiting` (actions that waited for funds, once the available balance covers them) and
`resume_stale` (actions a crash left PENDING; providers are idempotent by the instruction reference).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.audit.service import Actor, record
from recoup.cases.models import Case
from recoup.cases.recording import add_event
from recoup.cases.repository import get_case_by_id
from recoup.cases.schemas import action_row, case_row
from recoup.cases.service import walk_to
from recoup.cases.states import CaseState
from recoup.db import Database, utcnow
from recoup.money import format_major
from recoup.recovery.confirm import confirm
from recoup.recovery.models import RecoveryAction, RecoveryKind, RecoveryStatus
from recoup.recovery.postings import post_hold, post_instructed, post_release
from recoup.recovery.provider import Instruction, PaymentProvider, ProviderError, Receipt, current_provider
from recoup.webhooks.service import emit

K, S = RecoveryKind, RecoveryStatus
# Days within which a later file should show the money; past them the owner is alerted.
CONFIRM_DAYS = {K.VOID: 2, K.REVERSAL: 3, K.REFUND: 5, K.ADJUSTMENT: 10, K.TRANSFER: 5, K.COLLECT: 14}
STALE_PENDING = timedelta(minutes=2)


def execute_all(database: Database, action_ids: tuple[int, ...] | list[int], provider: PaymentProvider | None = None,
                now: datetime | None = None, known: Mapping[int, Pending] | None = None,
                ) -> dict[int, dict[str, object]]:
    """`execute` each action; returns the answer stored for each action it performed, by id. `known`: actions
    the caller's transaction has just committed as pending (`Pending.of`), by id."""
    answers = {}
    for action_id in action_ids:
        answer = execute(database, action_id, provider or current_provider(), now,
                         pending=(known or {}).get(action_id))
        if answer is not None:
            answers[action_id] = answer
    return answers


@dataclass(frozen=True)
class Pending:
    """A pending action as the transaction that recorded it left it: its instruction and its case."""

    instruction: Instruction
    case_id: int

    @classmethod
    def of(cls, action: RecoveryAction, case: Case) -> Pending:
        return cls(_instruction(action, case), case.id)


def execute(database: Database, action_id: int, provider: PaymentProvider, now: datetime | None = None, *,
            pending: Pending | None = None) -> dict[str, object] | None:
    """Steps (2) and (3): call the provider outside any transaction, then store its answer; returns the
    action's stored answer, or None when the action was not pending (nothing done). `pending`: the action as
    the caller's transaction has just committed it, else it is read here first (a transaction of its own)."""
    if pending is None:
        with database.unit_of_work() as session:
            action = session.get(RecoveryAction, action_id)
            if action is None or action.status != S.PENDING.value:
                return None
            pending = Pending.of(action, get_case_by_id(session, action.case_id))
    instruction, case_id = pending.instruction, pending.case_id
    receipt: Receipt | None = None
    failure = ""
    try:
        receipt = provider.execute(instruction)
    except ProviderError as error:
        failure = error.message
    moment = now or utcnow()
    with database.unit_of_work() as session:
        case = get_case_by_id(session, case_id, lock=True)
        action = session.execute(select(RecoveryAction).where(RecoveryAction.id == action_id)
                                 .with_for_update()).scalar_one()
        if action.status != S.PENDING.value:
            return None
        if receipt is None:
            _failed(session, case, action, failure, moment)
        else:
            _instructed(session, case, action, receipt, moment)
        if action.response is None or action.status == S.FAILED.value:
            action.response = action_row(action)
        answer = action.response
    return answer


def _instructed(session: Session, case: Case, action: RecoveryAction, receipt: Receipt, now: datetime) -> None:
    action.status, action.instructed_at = S.INSTRUCTED.value, now
    action.provider, action.provider_reference = receipt.provider, receipt.reference
    action.confirm_by = now + timedelta(days=CONFIRM_DAYS[RecoveryKind(action.kind)])
    post_instructed(session, action)
    actor = Actor("provider", case.tenant_id, "worker")
    announce(session, actor, case, action, "action_instructed", "action.instructed", now)
    if action.kind == K.COLLECT and case.state in (CaseState.ACTION_PENDING.value, CaseState.INVESTIGATING.value):
        walk_to(session, case, actor, CaseState.AWAITING_PAYER, "payment request sent to the payer", now)
    if receipt.confirmed:
        confirm(session, case, action, source=f"provider:{receipt.reference}", txn=None, actor=actor, now=now)


def _failed(session: Session, case: Case, action: RecoveryAction, failure: str, now: datetime) -> None:
    action.status, action.last_error = S.FAILED.value, failure[:2000]
    post_release(session, action)
    announce(session, Actor("provider", case.tenant_id, "worker"), case, action, "action_failed", "action.failed",
              now, note=failure)


def announce(session: Session, actor: Actor, case: Case, action: RecoveryAction, event: str, webhook: str,
              now: datetime, note: str = "") -> None:
    amount = format_major(action.amount_minor, action.currency)
    text = note or f"{action.kind} {amount} {action.currency} ({action.status})"
    add_event(session, case, actor.name, event, text, data={"action_id": action.id}, now=now)
    record(session, actor, f"case.{event}", "recovery_action", str(action.id), tenant_id=case.tenant_id,
           after=action_row(action), note=f"case {case.number}", at=now)
    emit(session, case.tenant_id, webhook, {"case": case_row(case), "action": action_row(action)}, now)


def _instruction(action: RecoveryAction, case: Case) -> Instruction:
    return Instruction(
        reference=f"recoup-{action.tenant_id}-{action.id}", action_id=action.id, kind=action.kind,
        tenant_id=action.tenant_id, merchant_id=action.merchant_id, terminal_id=action.sale_terminal_id,
        sale_rrn=action.sale_rrn, amount_minor=action.amount_minor, currency=action.currency,
        case_number=case.number, direction=action.direction, bank_reference=action.bank_reference,
    )


def fund_waiting(database: Database, provider: PaymentProvider | None = None, now: datetime | None = None) -> int:
    """Worker: perform the actions that waited for funds, once the available balance covers them."""
    moment = now or utcnow()
    with database.unit_of_work() as session:
        waiting = list(session.execute(select(RecoveryAction.id, RecoveryAction.case_id).where(
            RecoveryAction.status == S.AWAITING_FUNDS.value).order_by(RecoveryAction.id)).tuples())
    funded = []
    for action_id, case_id in waiting:
        with database.unit_of_work() as session:
            case = get_case_by_id(session, case_id, lock=True)
            action = session.get(RecoveryAction, action_id)
            if action is None or action.status != S.AWAITING_FUNDS.value or not post_hold(session, action):
                continue
            action.status = S.PENDING.value
            actor = Actor("worker", case.tenant_id, "worker")
            add_event(session, case, actor.name, "funds_arrived", f"action {action.id} can now be performed",
                      data={"action_id": action.id}, now=moment)
            if case.state == CaseState.AWAITING_FUNDS.value:
                walk_to(session, case, actor, CaseState.ACTION_PENDING, "funds arrived", moment)
            funded.append(action_id)
    execute_all(database, funded, provider, now)
    return len(funded)


def resume_stale(database: Database, provider: PaymentProvider | None = None, now: datetime | None = None) -> int:
    """Worker: finish actions a crash left PENDING (the provider is idempotent by the action's reference)."""
    moment = now or utcnow()
    with database.unit_of_work() as session:
        stale = list(session.execute(select(RecoveryAction.id).where(
            RecoveryAction.status == S.PENDING.value,
            RecoveryAction.requested_at < moment - STALE_PENDING).order_by(RecoveryAction.id)).scalars())
    execute_all(database, stale, provider, now)
    return len(stale)
