"""What crosses the API and the CLI for cases and recovery actions: request bodies and JSON views.

Amounts go out as positive decimal strings in major units ("1152.00") with their currency, and
come in the same way (never as JSON numbers, so a float never touches money).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from pydantic import BaseModel, Field
from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from recoup.cases.models import Case, CaseAlert, CaseEvent
from recoup.cases.repository import alert_rows, case_facts, finding_rows, timeline_rows, transaction_rows
from recoup.db import FixedRead
from recoup.ledger.service import ACCOUNT_ORDER
from recoup.money import format_major
from recoup.reconciliation.models import StoredFinding
from recoup.recovery.models import RecoveryAction
from recoup.transactions.models import JournalLine, SettlementLine


def _at(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def case_row(case: Case) -> dict[str, object]:
    """One case as `recoup case list --format json` and GET /api/v1/cases show it."""
    return {
        "number": case.number, "kind": case.kind, "cause": case.cause, "state": case.state, "rung": case.rung,
        "stage": case.stage, "merchant_id": case.merchant_id, "terminal_id": case.terminal_id, "rrn": case.rrn,
        "related_rrn": case.related_rrn, "order_no": case.order_no, "direction": case.direction,
        "amount_at_stake": format_major(abs(case.at_stake_minor), case.currency),
        "amount_recovered": format_major(abs(case.recovered_minor), case.currency),
        "currency": case.currency, "owner": case.owner or None, "owner_role": case.owner_role,
        "deadline_at": _at(case.deadline_at), "opened_at": _at(case.opened_at), "updated_at": _at(case.updated_at),
    }


def event_row(event: CaseEvent | Row[Any]) -> dict[str, object]:
    return {"at": _at(event.at), "actor": event.actor, "event": event.event, "from_state": event.from_state,
            "to_state": event.to_state, "note": event.note, "data": event.data}


def action_row(action: RecoveryAction | Row[Any]) -> dict[str, object]:
    return {
        "id": action.id, "kind": action.kind, "amount": format_major(action.amount_minor, action.currency),
        "currency": action.currency, "state": action.status, "idempotency_key": action.idempotency_key,
        "direction": action.direction or None, "purpose": action.purpose, "sale_rrn": action.sale_rrn or None,
        "bank_reference": action.bank_reference or None, "provider_reference": action.provider_reference or None,
        "requested_by": action.requested_by, "requested_at": _at(action.requested_at),
        "instructed_at": _at(action.instructed_at), "confirm_by": _at(action.confirm_by),
        "confirmed_at": _at(action.confirmed_at), "confirmed_by": action.confirmed_by or None,
        "error": action.last_error or None, "note": action.note or None,
    }


def finding_row(finding: StoredFinding | Row[Any]) -> dict[str, object]:
    return {
        "finding_id": finding.finding_id, "kind": finding.kind, "cause": finding.cause, "rrn": finding.rrn,
        "related_rrn": finding.related_rrn, "order_no": finding.order_no,
        "charged_amount": format_major(finding.charged_minor, finding.currency),
        "expected_amount": format_major(finding.expected_minor, finding.currency),
        "difference": format_major(finding.difference_minor, finding.currency), "currency": finding.currency,
        "confidence": finding.confidence, "reason_codes": list(finding.reason_codes),
        "explanation": finding.explanation,
    }


def alert_row(alert: CaseAlert | Row[Any]) -> dict[str, object]:
    return {"at": _at(alert.created_at), "kind": alert.kind, "message": alert.message,
            "owner": alert.owner or alert.owner_role}


def transaction_row(line: JournalLine | SettlementLine) -> dict[str, object]:
    return line_row(line, settled=isinstance(line, SettlementLine))


def line_row(line: JournalLine | SettlementLine | Row[Any], *, settled: bool) -> dict[str, object]:
    """A journal line (settled=False) or a settlement line, as an ORM object or a plain row of its table."""
    return {
        "source": "settlement" if settled else "journal", "terminal_id": line.terminal_id, "rrn": line.rrn,
        "txn_type": line.txn_type, "status": "SETTLED" if settled else getattr(line, "status", ""),
        "amount": format_major(line.amount_minor, line.currency), "currency": line.currency,
        "card": line.card_masked, "txn_time": _at(line.txn_time), "order_no": line.order_no,
        "settle_date": cast("SettlementLine | Row[Any]", line).settle_date.isoformat() if settled else None,
    }


ACTION_TABLE: Any = RecoveryAction.__table__
_ACTIONS = FixedRead(select(ACTION_TABLE).where(ACTION_TABLE.c.case_id == bindparam("case_id"))
                     .order_by(ACTION_TABLE.c.id))


@dataclass(frozen=True)
class CaseReads:
    """What GET /api/v1/cases/{id} and the case page read of one case, each table once: the case page hands the
    same rows to the sections that show them again (the evidence section's records of notes and actions)."""

    actions: list[Any]  # rows (recoup.db.FixedRead): each with its table's columns as attributes
    timeline: list[Any]
    findings: list[Any]
    journal: list[Any]  # the journal lines of the transactions the case claims
    settled: list[Any]  # their settlement lines
    alerts: list[Any]
    balances: dict[str, int]  # per account code, in the case's currency
    has: dict[str, bool] = field(default_factory=dict)  # case_facts: whether the case has rows of `more`'s names


def read_case(session: Session, case: Case, more: tuple[tuple[str, Any], ...] = (),
              actions_read: FixedRead = _ACTIONS) -> CaseReads:
    """The case's rows, as plain rows (read-only views). The balances and whether the case has findings and
    alerts (and what `more` asks, for the case page's sections) come in one statement (case_facts): a table the
    case has no rows in is not read. `actions_read`: the case's actions, as _ACTIONS reads them (the case page's
    adds each action's payment page)."""
    facts = case_facts(session, case, more)
    actions = actions_read.rows(session, {"case_id": case.id})
    timeline = timeline_rows(session, case.id)
    findings = finding_rows(session, case.id) if facts.has["findings"] else []
    journal, settled = transaction_rows(session, case)
    alerts = alert_rows(session, case.id) if facts.has["alerts"] else []
    return CaseReads(actions, timeline, findings, journal, settled, alerts, facts.balances, facts.has)


def case_detail(session: Session, case: Case, reads: CaseReads | None = None) -> dict[str, object]:
    """`recoup case show --format json` and GET /api/v1/cases/{id}: the case with its timeline,
    actions, findings, transactions, alerts and the merchant's balances (from `reads` when already read)."""
    found = reads if reads is not None else read_case(session, case)
    return {
        **case_row(case), "summary": case.summary, "rung_started_at": _at(case.rung_started_at),
        "closed_at": _at(case.closed_at), "txn_time": _at(case.txn_time),
        "timeline": [event_row(event) for event in found.timeline],
        "actions": [action_row(action) for action in found.actions],
        "findings": [finding_row(finding) for finding in found.findings],
        "transactions": [*(line_row(line, settled=False) for line in found.journal),
                         *(line_row(line, settled=True) for line in found.settled)],
        "alerts": [alert_row(alert) for alert in found.alerts],
        "balance": _balance(case, found.balances),
    }


def _balance(case: Case, balances: dict[str, int]) -> dict[str, str]:
    """The merchant's balance per account in the case's currency (zero where it has none)."""
    return {account.value: format_major(balances.get(account.value, 0), case.currency) for account in ACCOUNT_ORDER}


class OpenCaseIn(BaseModel):
    rrn: str = Field(default="", max_length=12)
    terminal_id: str = Field(default="", max_length=8)
    merchant_id: str = Field(default="", max_length=15)
    amount: str = Field(default="", max_length=24, description="amount at stake, e.g. \"1152.00\"")
    currency: str = Field(default="", max_length=3)
    kind: str = Field(default="REPORTED", max_length=30)
    direction: str = Field(default="", max_length=30)
    summary: str = Field(default="", max_length=4000)


class MoveIn(BaseModel):
    state: str = Field(default="", max_length=20)
    reason: str = Field(default="", max_length=4000)


class ReasonIn(BaseModel):
    reason: str = Field(default="", max_length=4000)


class CloseIn(ReasonIn):
    outcome: str = Field(default="CLOSED", max_length=20)


class AssignIn(BaseModel):
    username: str = Field(default="", max_length=80)


class NoteIn(BaseModel):
    text: str = Field(default="", max_length=4000)


class ActionIn(BaseModel):
    """A recovery action; `amount` is a decimal string in the case's currency."""

    kind: str = Field(default="", max_length=20, description="refund, void, reversal, adjustment, collect or transfer")
    amount: str | None = Field(default=None, max_length=24, description="e.g. \"12.34\"; void/reversal: the sale")
    rrn: str | None = Field(default=None, max_length=12, description="the sale, when not the case's own")
    direction: str | None = Field(default=None, max_length=10, description="adjustment: credit|debit; transfer: in|out")
    purpose: str | None = Field(default=None, max_length=10, description="transfer: funding|recovery")
    bank_reference: str | None = Field(default=None, max_length=64)
    note: str = Field(default="", max_length=2000)
    funding: str | None = Field(default=None, max_length=12,
                                description="when the balance is short: transfer (default) or settlements")


class ConfirmIn(BaseModel):
    reference: str = Field(default="", max_length=80)


class QrAccountIn(BaseModel):
    tag: str = Field(default="", max_length=2, description="merchant account tag 02-51; 15 = UnionPay")
    gui: str = Field(default="", max_length=32, description="the network's GUI, for a template tag 26-51")
