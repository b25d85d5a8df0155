"""Opening or joining the cases of many findings at once (a saved reconciliation run).

The same decisions as `recoup.cases.opening.open_or_join`, finding after finding, but with what it
looks up fetched once for the whole run (which case claims each transaction, recoveries already
confirmed, the tenant's ladder) and what it writes added in bulk (case numbers reserved in one
statement, the cases in one insert, keys, timeline and outbox rows together). The audit trail keeps
one entry per opened or joined case, in the order of the findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import insert, inspect, select
from sqlalchemy.orm import DeclarativeBase, Session

from recoup.audit.service import Actor, AuditDraft, record_many
from recoup.cases.creation import build_case
from recoup.cases.models import Case, CaseEvent, CaseKey
from recoup.cases.opening import at_stake_minor, case_facts, case_keys, direction_of
from recoup.cases.repository import ladder_config, reserve_case_numbers
from recoup.cases.schemas import case_row
from recoup.cases.service import raise_alert
from recoup.cases.states import FINAL_STATES, CaseState
from recoup.reconciliation.models import StoredFinding
from recoup.recovery.models import RecoveryAction
from recoup.webhooks.service import emit_many

CHUNK = 500
OPEN, JOIN, EXPLAIN, CLOSED = "open", "join", "explain", "closed"
# A finding joins the oldest case claiming one of its transactions: existing cases rank by id, the
# cases this run opens after all of them, in the order they are opened.
NEW_CASE_RANK = 1 << 62


@dataclass
class Slot:
    """A case the run works with: an existing one (rank = its id) or one to open (ranked after them)."""

    rank: int
    case: Case | None = None
    finding: StoredFinding | None = None  # the finding a new case is opened for


@dataclass(frozen=True)
class Step:
    kind: str
    finding: StoredFinding
    slot: Slot
    keys: tuple[str, ...] = ()  # the keys this finding claims for the slot's case
    action_id: int = 0


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)
    new_slots: list[Slot] = field(default_factory=list)


def open_or_join_all(session: Session, actor: Actor, tenant_id: int,
                     items: Sequence[tuple[StoredFinding, date | None]], now: datetime) -> list[tuple[Case, bool]]:
    """The case of each stored finding (opened now, or existing), in the order given."""
    keys = [case_keys(finding, day) for finding, day in items]
    plan = _decide(session, tenant_id, [finding for finding, _ in items], keys)
    _open_new(session, actor, tenant_id, plan.new_slots, now)
    outbox: list[tuple[str, dict[str, object]]] = []
    rows: list[CaseKey | CaseEvent] = []
    audits: list[AuditDraft] = []
    for step in plan.steps:
        _apply(session, actor, step, now, rows, outbox, audits)
    session.flush()
    record_many(session, audits, at=now)
    insert_plain(session, [row for row in rows if isinstance(row, CaseKey)])
    insert_plain(session, [row for row in rows if isinstance(row, CaseEvent)])
    emit_many(session, tenant_id, outbox, now)
    return [(_case(step.slot), step.kind == OPEN) for step in plan.steps]


def insert_plain(session: Session, objects: Sequence[DeclarativeBase]) -> None:
    """Insert new rows of one model whose ids nobody needs back, in executemany batches (the ORM
    would insert them one by one on SQLite to read each id back)."""
    if not objects:
        return
    model = type(objects[0])
    columns = [attribute.key for attribute in inspect(model).column_attrs if attribute.key != "id"]
    for start in range(0, len(objects), CHUNK):
        session.execute(insert(model), [{key: getattr(row, key) for key in columns}
                                         for row in objects[start:start + CHUNK]])


def _decide(session: Session, tenant_id: int, findings: list[StoredFinding], keys: list[list[str]]) -> Plan:
    """Finding by finding: explained by a recovery, joined to the case claiming its transaction, or new."""
    holders = _claims(session, tenant_id, [key for group in keys for key in group])
    recoveries = _recoveries(session, tenant_id)
    slots = {case.id: Slot(case.id, case) for case in _cases(session, {*holders.values(),
                                                                        *(c for c, _ in recoveries.values())})}
    owner = {key: slots[case_id] for key, case_id in holders.items()}
    plan = Plan()
    for finding, wanted in zip(findings, keys, strict=True):
        carried = recoveries.get(f"{finding.terminal_id}:{finding.rrn}:") if finding.rrn and finding.terminal_id \
            else None
        if carried is not None:
            slot = slots[carried[0]]
            plan.steps.append(Step(EXPLAIN, finding, slot, _claim(owner, slot, wanted), carried[1]))
            continue
        held = [owner[key] for key in wanted if key in owner]
        if not held:
            slot = Slot(NEW_CASE_RANK + len(plan.new_slots), finding=finding)
            plan.new_slots.append(slot)
            plan.steps.append(Step(OPEN, finding, slot, _claim(owner, slot, wanted)))
            continue
        slot = min(held, key=lambda candidate: candidate.rank)
        if slot.case is not None and CaseState(slot.case.state) in FINAL_STATES:
            plan.steps.append(Step(CLOSED, finding, slot))
        else:
            plan.steps.append(Step(JOIN, finding, slot, _claim(owner, slot, wanted)))
    return plan


def _claim(owner: dict[str, Slot], slot: Slot, keys: Iterable[str]) -> tuple[str, ...]:
    """The keys no case holds yet, now the slot's (a key held by another case stays with it)."""
    free = tuple(key for key in dict.fromkeys(keys) if key not in owner)
    owner.update((key, slot) for key in free)
    return free


def _open_new(session: Session, actor: Actor, tenant_id: int, slots: list[Slot], now: datetime) -> None:
    """Number and insert the new cases, in the order their findings came."""
    if not slots:
        return
    config = ladder_config(session, tenant_id)
    numbers = reserve_case_numbers(session, now.year, len(slots))
    built = []
    for slot, number in zip(slots, numbers, strict=True):
        assert slot.finding is not None
        built.append(build_case(number, tenant_id, case_facts(slot.finding), actor.name, config, now))
    insert_plain(session, built)
    stored = {case.number: case for case in _cases_numbered(session, numbers)}
    for slot, number in zip(slots, numbers, strict=True):
        slot.case = stored[number]


def _apply(session: Session, actor: Actor, step: Step, now: datetime, rows: list[CaseKey | CaseEvent],
           outbox: list[tuple[str, dict[str, object]]], audits: list[AuditDraft]) -> None:
    case, finding = _case(step.slot), step.finding
    finding.case_id = case.id
    rows.extend(CaseKey(tenant_id=case.tenant_id, case_id=case.id, key=key) for key in step.keys)
    if step.kind == OPEN:
        rows.append(_event(case, actor, "opened", finding.explanation, now, to_state=CaseState.OPEN.value))
        audits.append(AuditDraft(actor, "case.open", "case", case.number, after=case_row(case),
                                 tenant_id=case.tenant_id))
        outbox.append(("case.opened", {"case": case_row(case)}))
    elif step.kind == EXPLAIN:
        rows.append(_event(case, actor, "finding_explained", f"{finding.kind} {finding.rrn}: the transaction of "
                           f"recovery action {step.action_id}", now, data={"finding_id": finding.finding_id}))
    elif step.kind == CLOSED:
        note = f"{finding.kind} {finding.rrn or finding.order_no} ({finding.finding_id})"
        raise_alert(session, case, "FINDING_ON_CLOSED_CASE", f"new finding on a {case.state} case: {note}", now,
                    actor=actor)
    else:
        rows.append(_join(actor, case, finding, now, audits))
        outbox.append(("case.updated", {"case": case_row(case)}))


def _join(actor: Actor, case: Case, finding: StoredFinding, now: datetime, audits: list[AuditDraft]) -> CaseEvent:
    """The finding adds its money to the case when it is the same money (same direction and currency)."""
    before = case.at_stake_minor
    if direction_of(finding).value == case.direction and finding.currency == case.currency \
            and case.kind != "MCC_MISMATCH":
        case.at_stake_minor += at_stake_minor(finding)
    note = f"{finding.kind} {finding.rrn or finding.order_no} ({finding.finding_id})"
    event = _event(case, actor, "finding_joined", note, now, data={
        "finding_id": finding.finding_id, "at_stake_minor_before": before, "at_stake_minor_after": case.at_stake_minor})
    audits.append(AuditDraft(actor, "case.join", "case", case.number, tenant_id=case.tenant_id,
                             after={"finding_id": finding.finding_id, "kind": finding.kind}))
    return event


def _event(case: Case, actor: Actor, event: str, note: str, now: datetime, *, to_state: str | None = None,
           data: dict[str, object] | None = None) -> CaseEvent:
    case.updated_at = now
    return CaseEvent(case_id=case.id, tenant_id=case.tenant_id, at=now, actor=actor.name, event=event,
                     from_state=None, to_state=to_state, note=note, data=data)


def _case(slot: Slot) -> Case:
    assert slot.case is not None
    return slot.case


def _claims(session: Session, tenant_id: int, keys: list[str]) -> dict[str, int]:
    """Which case already claims each of these keys."""
    unique = sorted(set(keys))
    found: dict[str, int] = {}
    for start in range(0, len(unique), CHUNK):
        rows = session.execute(select(CaseKey.key, CaseKey.case_id).where(
            CaseKey.tenant_id == tenant_id, CaseKey.key.in_(unique[start:start + CHUNK])))
        found.update((key, case_id) for key, case_id in rows)
    return found


def _recoveries(session: Session, tenant_id: int) -> dict[str, tuple[int, int]]:
    """Confirmed recovery actions by the terminal and RRN of the transaction that carried them
    ("terminal:rrn:"), each with its case and action id (the first action when several)."""
    rows = session.execute(select(RecoveryAction.confirmed_txn, RecoveryAction.case_id, RecoveryAction.id).where(
        RecoveryAction.tenant_id == tenant_id, RecoveryAction.confirmed_txn != "").order_by(RecoveryAction.id))
    carried: dict[str, tuple[int, int]] = {}
    for txn, case_id, action_id in rows:
        terminal, _, rest = txn.partition(":")
        rrn = rest.partition(":")[0]
        carried.setdefault(f"{terminal}:{rrn}:", (case_id, action_id))
    return carried


def _cases_numbered(session: Session, numbers: list[str]) -> list[Case]:
    found: list[Case] = []
    for start in range(0, len(numbers), CHUNK):
        found.extend(session.execute(select(Case).where(Case.number.in_(numbers[start:start + CHUNK]))).scalars())
    return found


def _cases(session: Session, ids: set[int]) -> list[Case]:
    ordered = sorted(ids)
    found: list[Case] = []
    for start in range(0, len(ordered), CHUNK):
        found.extend(session.execute(select(Case).where(Case.id.in_(ordered[start:start + CHUNK]))).scalars())
    return found
