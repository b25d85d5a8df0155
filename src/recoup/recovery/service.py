"""Recovery actions (SPEC section 6): recorded before they are performed, idempotent, within limits.

`perform` runs one request in three steps. (1) In one transaction, with the case locked: answer
a repeated idempotency key, else check the request, the refund limits and the available balance,
hold the money and store the action as PENDING (or AWAITING_FUNDS with a funding transfer).
(2) Outside any transaction, call the payment provider. (3) In another transaction, store its
answer: INSTRUCTED (now awaiting confirmation from later files) or FAILED (hold released; the
same request retries it). A crash between (1) and (3) leaves a PENDING action the worker resumes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recoup.audit.service import Actor
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.cases.models import Case
from recoup.cases.recording import add_event, audited
from recoup.cases.repository import get_case
from recoup.cases.schemas import action_row
from recoup.cases.service import walk_to
from recoup.cases.states import CaseState
from recoup.config import get_settings
from recoup.db import Database, utcnow
from recoup.errors import Conflict, NotFound
from recoup.recovery.collect import create_payment_request
from recoup.recovery.confirm import confirm
from recoup.recovery.execution import Pending, announce, execute_all, fund_waiting
from recoup.recovery.idempotency import (
    StillInFlight,
    check_same_request,
    find,
    fingerprint,
    is_key,
    require_key,
)
from recoup.recovery.models import RecoveryAction, RecoveryKind, RecoveryStatus
from recoup.recovery.plans import ActionRequest, Plan, plan_action, recheck
from recoup.recovery.postings import is_money_out, post_hold
from recoup.recovery.provider import PaymentProvider
from recoup.recovery.qr_account import QrAccountTemplate

K, S = RecoveryKind, RecoveryStatus
IN_FLIGHT_WAIT_SECONDS = 10.0
# While a first request with the same key is still at the provider (10-30 ms here), look again soon, then
# less often: a fixed 50 ms made the repeats the longest refunds of bench/load.py, and with
# RECOUP_WEB_REQUEST_THREADS=0 the wait holds its whole web process.
IN_FLIGHT_FIRST_LOOK, IN_FLIGHT_LONGEST_LOOK = 0.002, 0.05


@dataclass(frozen=True)
class Prepared:
    action_id: int = 0
    replay: dict[str, object] | None = None
    in_flight: bool = False
    # The actions to execute, as this transaction leaves them (made while their rows are at hand): execution then
    # does not read them again in a transaction of its own.
    pending: dict[int, Pending] = field(default_factory=dict)

    @property
    def execute(self) -> tuple[int, ...]:
        return tuple(self.pending)


@dataclass(frozen=True)
class Outcome:
    action: dict[str, object]
    replayed: bool


def perform(database: Database, principal: Principal, case_ref: str, request: ActionRequest, key: str | None,
            *, provider: PaymentProvider | None = None, now: datetime | None = None,
            qr_default: QrAccountTemplate | None = None) -> Outcome:
    """Perform a recovery action once per idempotency key; a refusal is audited and changes nothing.
    `qr_default` is the settings' QR merchant-account template (read from the settings when not given)."""
    attempted: dict[str, object] = {"kind": request.kind, "amount": request.amount, "rrn": request.rrn,
                                    "idempotency_key": key}
    if request.funding:
        attempted["funding"] = request.funding
    audit_name = f"case.{request.kind.strip().lower()[:20] or 'action'}"
    template = qr_default or QrAccountTemplate.from_settings(get_settings())
    give_up = time.monotonic() + IN_FLIGHT_WAIT_SECONDS
    look_again = IN_FLIGHT_FIRST_LOOK
    while True:
        try:
            with audited(database, principal, audit_name, case_ref, attempted) as session:
                prepared = prepare(session, principal, case_ref, request, key, now, qr_default=template)
        except IntegrityError:  # the same key was stored by a concurrent request on another case
            prepared = Prepared(in_flight=True)
        if not prepared.in_flight:
            break
        if time.monotonic() > give_up:
            with audited(database, principal, audit_name, case_ref, attempted):
                raise StillInFlight("a request with this idempotency key is still being performed; try again shortly")
        time.sleep(look_again)
        look_again = min(IN_FLIGHT_LONGEST_LOOK, look_again * 2)
    if prepared.replay is not None:
        return Outcome(prepared.replay, True)
    answers = execute_all(database, prepared.execute, provider, now, prepared.pending)
    if prepared.action_id in answers:  # performed just now: its answer as stored, not read back
        return Outcome(answers[prepared.action_id], False)
    with database.unit_of_work() as session:
        action = session.get(RecoveryAction, prepared.action_id)
        assert action is not None
        return Outcome(action.response or action_row(action), False)


def prepare(session: Session, principal: Principal, case_ref: str, request: ActionRequest, key: str | None,
            now: datetime | None = None, *, qr_default: QrAccountTemplate | None = None) -> Prepared:
    """Step (1): answer a repeated key, or check and record the action (case locked).

    A replay takes no lock: the key is looked up first by a plain read, and one already answered is answered
    again (the case read without its lock, for the caller's scope and the fingerprint), so a replay never
    waits behind a change of the case. Anything else (a new key, a failed or unfinished first request) locks
    the case and looks the key up again under the lock, so two first requests with one key act once."""
    principal.require(Permission.MOVE_MONEY)
    moment = now or utcnow()
    if key is not None and is_key(key):
        answered = _answered(session, principal, case_ref, request, key.strip())
        if answered is not None:
            return answered
    case = get_case(session, principal, case_ref, lock=True)
    idempotency_key = require_key(key)
    request_hash = fingerprint(request.parameters(case.number))
    existing = find(session, case.tenant_id, idempotency_key)
    if existing is not None:
        check_same_request(existing, request_hash)
        if existing.status == S.FAILED.value:
            return _retry(session, principal, case, existing, moment)
        if existing.response is None:
            return Prepared(in_flight=True)
        return Prepared(existing.id, replay=existing.response)
    plan = plan_action(session, case, request, moment)
    template = qr_default or QrAccountTemplate.from_settings(get_settings())
    action = _record(session, principal, case, plan, (idempotency_key, request_hash), moment, template)
    return _arm(session, principal.actor(), case, action, moment)


def _answered(session: Session, principal: Principal, case_ref: str, request: ActionRequest,
              key: str) -> Prepared | None:
    """A replay answered without locking the case: the first request's answer, or "still in flight"; None
    when the key is new or its first request failed (then the case is locked and the key looked up again)."""
    existing = find(session, principal.tenant_id, key)
    if existing is None:
        return None
    case = get_case(session, principal, case_ref)  # the caller's scope: NotFound as before for a case not theirs
    check_same_request(existing, fingerprint(request.parameters(case.number)))
    if existing.status == S.FAILED.value:  # retried under the lock, from rows read again under it
        session.expunge(existing)
        session.expunge(case)
        return None
    if existing.response is None:
        return Prepared(in_flight=True)
    return Prepared(existing.id, replay=existing.response)


def _record(session: Session, principal: Principal, case: Case, plan: Plan, key_and_hash: tuple[str, str],
            now: datetime, qr_default: QrAccountTemplate) -> RecoveryAction:
    sale = plan.sale
    action = RecoveryAction(
        tenant_id=case.tenant_id, case_id=case.id, merchant_id=case.merchant_id, kind=plan.kind.value,
        status=S.PENDING.value, amount_minor=plan.amount_minor, currency=case.currency, direction=plan.direction,
        purpose=plan.purpose, sale_terminal_id=sale.terminal_id if sale else "", sale_rrn=sale.rrn if sale else "",
        sale_settled=sale.settled if sale else False, idempotency_key=key_and_hash[0], request_hash=key_and_hash[1],
        bank_reference=plan.bank_reference, note=plan.note, funding=plan.funding, requested_by=principal.username,
        requested_at=now,
    )
    session.add(action)
    session.flush()
    if plan.kind == K.TRANSFER and not action.bank_reference:
        action.bank_reference = f"TR-{case.number}-{action.id}"
    if plan.kind == K.COLLECT:
        create_payment_request(session, action, case, now, qr_default)
    announce(session, principal.actor(), case, action, "action_requested", "action.created", now)
    return action


def _arm(session: Session, actor: Actor, case: Case, action: RecoveryAction, now: datetime) -> Prepared:
    """Hold the money if it goes out; when the balance is short, wait for funds (SPEC section 2, step 4):
    ask the bank for a transfer, or wait for coming settlements to cover it, as the request chose."""
    if is_money_out(action) and not post_hold(session, action):
        action.status = S.AWAITING_FUNDS.value
        pending: dict[int, Pending] = {}
        if action.funding == "SETTLEMENTS":
            add_event(session, case, actor.name, "awaiting_settlements", f"action {action.id} waits for coming "
                      "settlements to cover it", data={"action_id": action.id}, now=now)
        else:
            transfer = _funding_transfer(session, actor, case, action, now)
            pending[transfer.id] = Pending.of(transfer, case)
        walk_to(session, case, actor, CaseState.AWAITING_FUNDS, f"available balance short for action {action.id}",
                now)
        action.response = action_row(action)
        return Prepared(action.id, pending=pending)
    if action.purpose == "RECOVERY":
        walk_to(session, case, actor, CaseState.ACTION_PENDING, f"{action.kind} requested", now)
    return Prepared(action.id, pending={action.id: Pending.of(action, case)})


def _funding_transfer(session: Session, actor: Actor, case: Case, action: RecoveryAction,
                      now: datetime) -> RecoveryAction:
    """A transfer request to the bank for the amount the waiting action needs."""
    transfer = RecoveryAction(
        tenant_id=case.tenant_id, case_id=case.id, merchant_id=case.merchant_id, kind=K.TRANSFER.value,
        status=S.PENDING.value, amount_minor=action.amount_minor, currency=action.currency, direction="IN",
        purpose="FUNDING", idempotency_key=f"{action.idempotency_key[:100]}:funding:{action.attempts}",
        request_hash=action.request_hash, note=f"funds for action {action.id}", requested_by=actor.name,
        requested_at=now,
    )
    session.add(transfer)
    session.flush()
    transfer.bank_reference = f"TR-{case.number}-{transfer.id}"
    action.funds_action_id = transfer.id
    announce(session, actor, case, transfer, "action_requested", "action.created", now)
    return transfer


def _retry(session: Session, principal: Principal, case: Case, action: RecoveryAction, now: datetime) -> Prepared:
    """The same request after a provider failure: check again and perform it again."""
    recheck(session, case, action, now)
    action.attempts += 1
    action.status, action.last_error, action.response = S.PENDING.value, "", None
    add_event(session, case, principal.username, "action_retried", f"attempt {action.attempts}",
              data={"action_id": action.id}, now=now)
    return _arm(session, principal.actor(), case, action, now)


MANUAL_KINDS = (K.ADJUSTMENT.value, K.TRANSFER.value)


def confirm_by_hand(database: Database, principal: Principal, case_ref: str, action_id: int, reference: str,
                    *, provider: PaymentProvider | None = None, now: datetime | None = None) -> dict[str, object]:
    """Confirm an acquirer-side action (adjustment, transfer) whose confirmation no file carries."""
    moment = now or utcnow()
    with audited(database, principal, "case.confirm", case_ref, {"action_id": action_id}) as session:
        principal.require(Permission.MOVE_MONEY)
        case = get_case(session, principal, case_ref, lock=True)
        action = _action_of(session, case, action_id)
        if action.kind not in MANUAL_KINDS:
            raise Conflict(f"a {action.kind.lower()} is confirmed by the journal or settlement that carries it")
        if action.status != S.INSTRUCTED.value:
            raise Conflict(f"action {action.id} is {action.status}; only an instructed action can be confirmed")
        confirm(session, case, action, source=f"{principal.username}:{reference.strip()[:60]}", txn=None,
                actor=principal.actor(), now=moment)
        view = action_row(action)
    if action.purpose == "FUNDING":
        fund_waiting(database, provider, now)
    return view


def actions_of(session: Session, principal: Principal, case_ref: str) -> list[RecoveryAction]:
    case = get_case(session, principal, case_ref)
    query = select(RecoveryAction).where(RecoveryAction.case_id == case.id).order_by(RecoveryAction.id)
    return list(session.execute(query).scalars())


def _action_of(session: Session, case: Case, action_id: int) -> RecoveryAction:
    action = session.execute(select(RecoveryAction).where(
        RecoveryAction.id == action_id, RecoveryAction.case_id == case.id).with_for_update()).scalar_one_or_none()
    if action is None:
        raise NotFound(f"no action {action_id} on case {case.number}")
    return action

