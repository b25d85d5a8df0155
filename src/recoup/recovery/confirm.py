"""Following up (SPEC section 2, step 9): a recovery is done only when a later file shows the money.

`confirm_from_journal` and `confirm_from_settlement` are called by the imports with the lines they
just stored. Refunds, voids and reversals match by their sale (the journal's `orig_rrn`, or for
settlement lines the stored journal line, an `orig_rrn` column, or the case or order number) and
amount; a QR collection matches by its bill number (the case number, in `order_no` or any extra
column) and amount. Each line confirms at most one action, each action is confirmed once, and
the case is resolved once what was at stake is recovered.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.audit.service import Actor, record
from recoup.cases.models import Case
from recoup.cases.recording import add_event
from recoup.cases.repository import CASE_NUMBER, get_case_by_id
from recoup.cases.schemas import action_row, case_row
from recoup.cases.service import raise_alert, walk_to
from recoup.cases.states import FINAL_STATES, CaseState
from recoup.db import Database, utcnow
from recoup.ledger.service import SALE_TYPES, exclusive, txn_key
from recoup.money import format_major
from recoup.recovery.collect import mark_paid
from recoup.recovery.models import RecoveryAction, RecoveryKind, RecoveryStatus
from recoup.recovery.postings import CARD_SIDE, post_confirmed
from recoup.transactions.models import ImportBatch, JournalLine, SettlementLine
from recoup.webhooks.service import emit

S = RecoveryStatus
CONFIRMABLE = (S.PENDING.value, S.AWAITING_FUNDS.value, S.INSTRUCTED.value, S.FAILED.value)
IMPORT = "import"
Line = JournalLine | SettlementLine


def confirm(session: Session, case: Case, action: RecoveryAction, *, source: str, txn: str | None,
            actor: Actor, now: datetime) -> None:
    """Mark the action confirmed, book the money, count it recovered and resolve the case when done."""
    instructed = action.status == S.INSTRUCTED.value
    post_confirmed(session, action, txn, instructed=instructed)
    action.status, action.confirmed_at, action.confirmed_by = S.CONFIRMED.value, now, source
    action.confirmed_txn = txn or ""
    if action.kind == RecoveryKind.COLLECT:
        mark_paid(session, action, now)
    if action.purpose == "RECOVERY":
        case.recovered_minor += action.amount_minor
    amount = format_major(action.amount_minor, action.currency)
    add_event(session, case, actor.name, "action_confirmed", f"{action.kind} {amount} confirmed by {source}",
              data={"action_id": action.id}, now=now)
    record(session, actor, "case.action.confirm", "recovery_action", str(action.id), tenant_id=case.tenant_id,
           after={"status": action.status, "source": source, "case": case.number}, at=now)
    emit(session, case.tenant_id, "action.confirmed", {"case": case_row(case), "action": action_row(action)}, now)
    if CaseState(case.state) in FINAL_STATES or case.state == CaseState.RESOLVED.value:
        return
    if action.purpose == "RECOVERY" and case.recovered_minor >= case.at_stake_minor:
        recovered = format_major(case.recovered_minor, case.currency)
        at_stake = format_major(case.at_stake_minor, case.currency)
        walk_to(session, case, actor, CaseState.RESOLVED, f"recovered {recovered} of {at_stake} at stake", now)


def confirm_from_journal(session: Session, lines: Sequence[JournalLine], now: datetime | None = None) -> int:
    """Confirm the actions that approved journal lines carry; returns how many were confirmed."""
    moment = now or utcnow()
    exclusive(session)
    confirmed = 0
    for line in lines:
        if line.status != "APPROVED":
            continue
        if line.txn_type in CARD_SIDE and line.orig_rrn:
            action = _card_side_match(session, line, {line.orig_rrn}, set())
        elif line.txn_type in SALE_TYPES:
            action = _collection_match(session, line)
        else:
            continue
        confirmed += _apply(session, action, f"journal:{line.id}", line, moment)
    return confirmed


def confirm_from_settlement(session: Session, lines: Sequence[SettlementLine], now: datetime | None = None) -> int:
    """Confirm the actions that settlement lines carry; returns how many were confirmed."""
    moment = now or utcnow()
    exclusive(session)
    confirmed = 0
    for line in lines:
        if line.txn_type in CARD_SIDE:
            action = _card_side_match(session, line, _sales_named_by(session, line),
                                      _bill_numbers(line.order_no, line.extra))
        elif line.txn_type in SALE_TYPES:
            action = _collection_match(session, line)
        else:
            continue
        confirmed += _apply(session, action, f"settlement:{line.id}", line, moment)
    return confirmed


def alert_unconfirmed(database: Database, now: datetime | None = None) -> int:
    """Alert once for every instructed action whose confirmation is overdue."""
    moment = now or utcnow()
    with database.unit_of_work() as session:
        ids = list(session.execute(select(RecoveryAction.id).where(
            RecoveryAction.status == S.INSTRUCTED.value, RecoveryAction.confirm_by < moment,
            RecoveryAction.alerted_at.is_(None)).order_by(RecoveryAction.id)).scalars())
    alerted = 0
    for action_id in ids:
        with database.unit_of_work() as session:
            exclusive(session)
            action = session.execute(select(RecoveryAction).where(RecoveryAction.id == action_id)
                                     .with_for_update()).scalar_one()
            if action.status != S.INSTRUCTED.value or action.alerted_at is not None:
                continue
            action.alerted_at = moment
            case = get_case_by_id(session, action.case_id)
            amount = format_major(action.amount_minor, action.currency)
            raise_alert(session, case, "ACTION_UNCONFIRMED", f"{action.kind} {amount} {action.currency} instructed "
                        f"{action.instructed_at:%Y-%m-%d} is not confirmed by any journal or settlement yet",
                        moment, action_id=action.id)
            alerted += 1
    return alerted


def _apply(session: Session, found: tuple[RecoveryAction, Case] | None, source: str, line: Line,
           now: datetime) -> int:
    if found is None:
        return 0
    action, case = found
    confirm(session, case, action, source=source, txn=txn_key(line.terminal_id, line.rrn, line.txn_type),
            actor=Actor(IMPORT, line.tenant_id, IMPORT), now=now)
    return 1


def _open_actions(session: Session, line: Line, kind: str) -> list[tuple[RecoveryAction, Case]]:
    """Open actions of this kind and amount at the line's merchant, requested before the line's file
    was imported (a file imported earlier cannot confirm a later instruction)."""
    query = (select(RecoveryAction, Case).join(Case, Case.id == RecoveryAction.case_id).where(
        RecoveryAction.tenant_id == line.tenant_id, RecoveryAction.merchant_id == line.merchant_id,
        RecoveryAction.kind == kind, RecoveryAction.amount_minor == line.amount_minor,
        RecoveryAction.status.in_(CONFIRMABLE)).order_by(RecoveryAction.id).with_for_update())
    if line.import_id is not None:
        imported_at = session.execute(select(ImportBatch.imported_at)
                                      .where(ImportBatch.id == line.import_id)).scalar_one_or_none()
        if imported_at is not None:
            query = query.where(RecoveryAction.requested_at <= imported_at)
    return [(action, case) for action, case in session.execute(query).tuples()]


def _card_side_match(session: Session, line: Line, sale_rrns: set[str],
                     references: set[str]) -> tuple[RecoveryAction, Case] | None:
    """The oldest open action of the line's kind and amount on one of these sales, or whose case (by
    its number or order number) the line names."""
    for action, case in _open_actions(session, line, line.txn_type):
        if action.sale_rrn in sale_rrns or case.number in references or (case.order_no and case.order_no in references):
            return action, case
    return None


def _collection_match(session: Session, line: Line) -> tuple[RecoveryAction, Case] | None:
    """The open QR collection whose bill number (the case number) and amount the line carries."""
    bills = _bill_numbers(line.order_no, line.extra)
    for action, case in _open_actions(session, line, RecoveryKind.COLLECT.value):
        if case.number in bills:
            return action, case
    return None


def _bill_numbers(order_no: str, extra: dict[str, str] | None) -> set[str]:
    """The references a line carries (its order number, every extra column), case numbers upper-cased."""
    values = {str(value).strip() for value in [order_no, *(extra or {}).values()] if value and str(value).strip()}
    return values | {value.upper() for value in values if CASE_NUMBER.match(value.upper())}


def _sales_named_by(session: Session, line: SettlementLine) -> set[str]:
    """The sale RRNs a settlement refund names: an `orig_rrn` column, or its stored journal line."""
    named = {str((line.extra or {}).get("orig_rrn", "")).strip()} - {""}
    stored = session.execute(select(JournalLine.orig_rrn).where(
        JournalLine.tenant_id == line.tenant_id, JournalLine.terminal_id == line.terminal_id,
        JournalLine.rrn == line.rrn, JournalLine.txn_type == line.txn_type)).scalars()
    return named | {rrn for rrn in stored if rrn}

