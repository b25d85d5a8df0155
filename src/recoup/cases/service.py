"""Case use cases (SPEC section 5): move, reopen, close, assign, escalate, note, alert.

Every change goes through the pure state machine and ladder, appends to the case's timeline,
the audit trail and the webhook outbox in the caller's transaction. Services flush; the caller commits.
Opening a case lives in cases.creation, putting a change on record in cases.recording.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime

from sqlalchemy.orm import Session

from recoup.audit.service import Actor, record
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.auth.service import active_principal
from recoup.cases.ladder import CaseOnLadder, LadderConfig, Rung, deadline_for, escalation_target, owner_role
from recoup.cases.models import Case, CaseAlert
from recoup.cases.recording import add_event, publish
from recoup.cases.repository import get_case, ladder_config
from recoup.cases.states import (
    ALLOWED_TRANSITIONS,
    FINAL_STATES,
    MAIN_LINE,
    REOPEN,
    CaseState,
    IllegalTransition,
    parse_state,
    transition,
)
from recoup.db import utcnow
from recoup.errors import Conflict, InvalidInput, NotFound

MAX_NOTE = 4000
WORKER = Actor("worker", None, "worker")


def change_state(session: Session, case: Case, actor: Actor, target: CaseState | str, reason: str,
                 now: datetime | None = None) -> None:
    """One move of the state machine (or "reopen"), recorded on the timeline, the audit trail and
    the outbox; raises IllegalTransition (409) for a move the machine forbids."""
    moment = now or utcnow()
    before = case.state
    new_state, event = transition(case.state, target, actor.name, reason, moment)
    case.state = new_state.value
    case.closed_at = moment if new_state in FINAL_STATES else None
    name = "reopened" if event.is_reopening else "moved"
    add_event(session, case, actor.name, name, event.reason, from_state=before, to_state=new_state.value, now=moment)
    record(session, actor, f"case.{'reopen' if event.is_reopening else 'move'}", "case", case.number,
           tenant_id=case.tenant_id, before={"state": before}, after={"state": new_state.value}, note=event.reason,
           at=moment)
    publish(session, case, "case.updated", moment)


_MAIN_ORDER = {state: position for position, state in enumerate(MAIN_LINE)}


def state_path(start: CaseState, goal: CaseState) -> list[CaseState] | None:
    """The shortest run of legal moves from `start` to `goal` through the main line (never through
    a waiting state or an ending the caller did not ask for)."""
    queue: deque[list[CaseState]] = deque([[start]])
    seen = {start}
    while queue:
        path = queue.popleft()
        if path[-1] == goal:
            return path[1:]
        for state in sorted(ALLOWED_TRANSITIONS[path[-1]], key=lambda s: _MAIN_ORDER.get(s, len(MAIN_LINE))):
            if state not in seen and (state == goal or state in _MAIN_ORDER):
                seen.add(state)
                queue.append([*path, state])
    return None


def walk_to(session: Session, case: Case, actor: Actor, goal: CaseState, reason: str,
            now: datetime | None = None) -> None:
    """Bring the case to `goal` through legal moves, each one recorded (e.g. OPEN -> INVESTIGATING
    -> ACTION_PENDING when the first action is taken)."""
    if case.state == goal.value:
        return
    path = state_path(CaseState(case.state), goal)
    for state in path or [goal]:  # no path: the direct move raises the clear IllegalTransition
        change_state(session, case, actor, state, reason, now)


RESOLVE_WHILE_WAITING = ("a refund or collection of this case still waits for the bank's confirmation: say why "
                         "the case is resolved anyway (a reason is required)")


def move_case(session: Session, principal: Principal, reference: str, state: str, reason: str,
              now: datetime | None = None) -> Case:
    principal.require(Permission.WORK_CASES)
    case = get_case(session, principal, reference, lock=True)
    wanted = parse_state(state.strip().upper())
    if wanted == CaseState.RESOLVED:
        _check_resolving_by_hand(session, case, reason)
    change_state(session, case, principal.actor(), wanted, reason, now)
    return case


def _check_resolving_by_hand(session: Session, case: Case, reason: str) -> None:
    """RESOLVED says the money is back. A person may say so while a refund or collection of the case still
    waits for the bank's confirmation (the payer was paid another way, the statement shows it), but not in
    silence: a reason is required (the timeline keeps it; the actions table still shows what waits)."""
    from recoup.recovery.repository import has_unconfirmed  # recovery builds on cases: imported when needed

    if not reason.strip() and has_unconfirmed(session, case.id):
        raise InvalidInput(RESOLVE_WHILE_WAITING)


def reopen_case(session: Session, principal: Principal, reference: str, reason: str,
                now: datetime | None = None) -> Case:
    principal.require(Permission.WORK_CASES)
    case = get_case(session, principal, reference, lock=True)
    change_state(session, case, principal.actor(), REOPEN, reason, now)
    return case


CLOSING_OUTCOMES = (CaseState.CLOSED, CaseState.REJECTED, CaseState.WRITTEN_OFF)


def close_case(session: Session, principal: Principal, reference: str, reason: str,
               outcome: str = CaseState.CLOSED.value, now: datetime | None = None) -> Case:
    """Close a resolved case, or end one as REJECTED (not a mis-charge) or WRITTEN_OFF, with a reason."""
    principal.require(Permission.WORK_CASES)
    case = get_case(session, principal, reference, lock=True)
    wanted = parse_state(outcome.strip().upper())
    if wanted not in CLOSING_OUTCOMES:
        raise InvalidInput(f"a case closes as CLOSED, REJECTED or WRITTEN_OFF, not {outcome}")
    change_state(session, case, principal.actor(), wanted, reason, now)
    return case


def assign_case(session: Session, principal: Principal, reference: str, username: str,
                now: datetime | None = None) -> Case:
    """Give the case an owner: an active user of the tenant who can see the case's merchant. Giving it to
    the owner it has changes nothing: no timeline entry, audit entry or webhook says it did (the owner is
    still checked, so a deactivated owner is refused as any other)."""
    return assign_case_telling(session, principal, reference, username, now)[0]


def assign_case_telling(session: Session, principal: Principal, reference: str, username: str,
                        now: datetime | None = None) -> tuple[Case, bool]:
    """assign_case, and whether the owner changed (the page says so when it did not)."""
    principal.require(Permission.WORK_CASES)
    case = get_case(session, principal, reference, lock=True)
    _require_open(case)
    owner = active_principal(session, username.strip(), "check")
    if owner is None or owner.tenant_id != case.tenant_id:
        raise NotFound(f"no active user {username!r} in your organisation")
    if not owner.sees_merchant(case.merchant_id):
        raise InvalidInput(f"user {username} cannot see merchant {case.merchant_id}, so cannot own this case")
    before = case.owner
    if before == owner.username:
        return case, False
    moment = now or utcnow()
    case.owner, case.updated_at = owner.username, moment  # one UPDATE of the case (add_event sets the same time)
    add_event(session, case, principal.username, "assigned", f"{before or '-'} -> {owner.username}", now=moment)
    record(session, principal.actor(), "case.assign", "case", case.number, before={"owner": before},
           after={"owner": owner.username}, at=moment)
    publish(session, case, "case.updated", moment)
    return case, True


def add_note(session: Session, principal: Principal, reference: str, text: str, now: datetime | None = None) -> Case:
    principal.require(Permission.WORK_CASES)
    case = get_case(session, principal, reference, lock=True)
    note = text.strip()
    if not note or len(note) > MAX_NOTE:
        raise InvalidInput(f"a note has 1 to {MAX_NOTE} characters")
    _require_open(case)
    moment = now or utcnow()
    add_event(session, case, principal.username, "note", note, now=moment)
    record(session, principal.actor(), "case.note", "case", case.number, note=note, at=moment)
    return case


def escalate_case(session: Session, principal: Principal, reference: str, reason: str,
                  now: datetime | None = None) -> Case:
    principal.require(Permission.WORK_CASES)
    case = get_case(session, principal, reference, lock=True)
    moment = now or utcnow()
    config = ladder_config(session, case.tenant_id)
    target = escalation_target(on_ladder(case), moment, config)
    if target is not None and target.rung == Rung.SCHEME_DISPUTE:
        principal.require(Permission.DISPUTE)
    escalate(session, case, principal.actor(), reason or "escalated by hand", moment, config)
    return case


def escalate(session: Session, case: Case, actor: Actor, reason: str, now: datetime, config: LadderConfig) -> None:
    """Climb one step of the ladder: new rung (or dispute stage), owner role and deadline."""
    _require_open(case)
    if case.state == CaseState.RESOLVED.value:
        raise IllegalTransition("a resolved case is not escalated: close it, or it waits for nothing")
    target = escalation_target(on_ladder(case), now, config)
    if target is None:
        raise Conflict(f"the case is on the top rung ({case.rung}); there is nowhere higher to escalate")
    before: dict[str, object] = {"rung": case.rung, "stage": case.stage}
    case.rung, case.stage = target.rung.value, target.stage.value if target.stage else None
    case.rung_started_at = now
    case.deadline_at = deadline_for(target.rung, target.stage, now, case.txn_time, config)
    case.owner_role, case.owner, case.alerted_deadline_at = owner_role(target.rung, config), "", None
    after: dict[str, object] = {"rung": case.rung, "stage": case.stage}
    add_event(session, case, actor.name, "escalated", reason, data={"from": before, "to": after}, now=now)
    record(session, actor, "case.escalate", "case", case.number, tenant_id=case.tenant_id, before=before,
           after=after, note=reason, at=now)
    if case.state != CaseState.ESCALATED.value:
        change_state(session, case, actor, CaseState.ESCALATED, reason, now)
    publish(session, case, "case.escalated", now)


def raise_alert(session: Session, case: Case, kind: str, message: str, now: datetime,
                action_id: int | None = None, actor: Actor = WORKER) -> CaseAlert:
    """Tell the case's owner (or its rung's role) that something needs them: in their alert list, and by
    e-mail through the outbox to each of them with an e-mail address (recoup.messaging.alerts)."""
    from recoup.messaging.alerts import notify_by_email  # messaging builds on cases: imported when used

    alert = CaseAlert(tenant_id=case.tenant_id, case_id=case.id, action_id=action_id, kind=kind, message=message,
                      owner=case.owner, owner_role=case.owner_role, created_at=now)
    session.add(alert)
    session.flush()
    notify_by_email(session, alert, case, now)
    add_event(session, case, actor.name, "alert", message, data={"kind": kind, "action_id": action_id}, now=now)
    record(session, actor, "case.alert", "case", case.number, tenant_id=case.tenant_id,
           after={"kind": kind, "owner": case.owner or case.owner_role}, note=message, at=now)
    publish(session, case, "case.alert", now, {"alert": {"kind": kind, "message": message}})
    return alert


def on_ladder(case: Case) -> CaseOnLadder:
    return CaseOnLadder(case.state, case.rung, case.stage, case.rung_started_at, case.txn_time)


def _require_open(case: Case) -> None:
    if CaseState(case.state) in FINAL_STATES:
        raise IllegalTransition(f"the case is {case.state}: a finished case cannot change except by reopening it",
                                detail={"state": case.state})
