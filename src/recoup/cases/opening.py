"""Opening cases, from findings (SPEC section 4, last paragraph) or by hand: one case per transaction.

A finding names its transactions by keys; a finding whose keys a case already claims joins that
case instead of opening another (recoup.cases.bulk_opening). All MCC_MISMATCH lines of one terminal
and day make one case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.cases.creation import CaseFacts, Direction, create_case
from recoup.cases.models import Case
from recoup.cases.repository import case_for_keys
from recoup.errors import Conflict, InvalidInput, NotFound
from recoup.merchants.repository import get_merchant
from recoup.money import parse_minor
from recoup.reconciliation.models import StoredFinding
from recoup.transactions.models import JournalLine, SettlementLine

D = Direction
DIRECTION_OF_KIND: dict[str, Direction] = {
    "OVERCHARGE": D.MERCHANT_OWES_PAYER, "DUPLICATE_CHARGE": D.MERCHANT_OWES_PAYER,
    "DEBITED_BUT_FAILED": D.MERCHANT_OWES_PAYER, "VOIDED_BUT_SETTLED": D.MERCHANT_OWES_PAYER,
    "UNKNOWN_SETTLEMENT": D.MERCHANT_OWES_PAYER, "REFUND_NOT_SETTLED": D.MERCHANT_OWES_PAYER,
    "UNMATCHED_CHARGE": D.MERCHANT_OWES_PAYER, "UNDERCHARGE": D.PAYER_OWES_MERCHANT,
    "OVER_REFUND": D.PAYER_OWES_MERCHANT, "UNPAID_ORDER": D.PAYER_OWES_MERCHANT,
    "UNSETTLED": D.ACQUIRER_OWES_MERCHANT, "MCC_MISMATCH": D.NONE,
}
# Kinds whose amount at stake is the difference; UNPAID_ORDER the expected amount; the rest what moved.
DIFFERENCE_KINDS = frozenset({"OVERCHARGE", "UNDERCHARGE", "SETTLEMENT_MISMATCH", "OVER_REFUND"})
ORDER_KINDS = frozenset({"OVERCHARGE", "UNDERCHARGE", "UNPAID_ORDER"})
# Kinds whose related transaction is the same money (the void or reversal of the sale, the refunded sale).
RELATED_CLAIMED = frozenset({"VOIDED_BUT_SETTLED", "DEBITED_BUT_FAILED", "OVER_REFUND"})
FINDING_KINDS = frozenset(DIRECTION_OF_KIND) | {"SETTLEMENT_MISMATCH"}


def direction_of(finding: StoredFinding) -> Direction:
    if finding.kind == "SETTLEMENT_MISMATCH":  # settled less than taken (短款) or more (长款)
        return D.ACQUIRER_OWES_MERCHANT if finding.difference_minor < 0 else D.MERCHANT_OWES_ACQUIRER
    return DIRECTION_OF_KIND.get(finding.kind, D.MERCHANT_OWES_PAYER)


def at_stake_minor(finding: StoredFinding) -> int:
    """The money that must move to put the finding right."""
    if finding.kind == "MCC_MISMATCH":
        return 0
    if finding.kind in DIFFERENCE_KINDS:
        return abs(finding.difference_minor)
    if finding.kind == "UNPAID_ORDER":
        return abs(finding.expected_minor)
    return abs(finding.charged_minor) or abs(finding.expected_minor)


def txn_case_key(merchant_id: str, rrn: str) -> str:
    return f"txn:{merchant_id}:{rrn}"


def case_keys(finding: StoredFinding, local_day: date | None) -> list[str]:
    """The transactions (or terminal-day) a finding concerns, as case keys."""
    if finding.kind == "MCC_MISMATCH":
        day = local_day.isoformat() if local_day else "unknown-day"
        return [f"mcc:{finding.terminal_id}:{day}"]
    keys = []
    if finding.rrn:
        keys.append(txn_case_key(finding.merchant_id, finding.rrn))
    if finding.related_rrn and finding.kind in RELATED_CLAIMED:
        keys.append(txn_case_key(finding.merchant_id, finding.related_rrn))
    if finding.order_no and finding.kind in ORDER_KINDS:
        keys.append(f"order:{finding.merchant_id}:{finding.order_no}")
    return keys or [f"finding:{finding.finding_id}"]


def case_facts(finding: StoredFinding) -> CaseFacts:
    return CaseFacts(
        merchant_id=finding.merchant_id, kind=finding.kind, direction=direction_of(finding).value,
        currency=finding.currency, at_stake_minor=at_stake_minor(finding), terminal_id=finding.terminal_id or None,
        cause=finding.cause, rrn=finding.rrn, related_rrn=finding.related_rrn, order_no=finding.order_no,
        txn_time=finding.txn_time, summary=finding.explanation,
    )


@dataclass(frozen=True)
class OpenRequest:
    """A case opened by hand: for a transaction (its RRN) or for a merchant."""

    rrn: str = ""
    terminal_id: str = ""
    merchant_id: str = ""
    amount: str = ""
    currency: str = ""
    kind: str = "REPORTED"
    direction: str = ""
    summary: str = ""


def open_case(session: Session, principal: Principal, request: OpenRequest, now: datetime | None = None) -> Case:
    """Open a case by hand (a cashier's report, a call): refused with the existing case's number
    when the transaction already has one."""
    principal.require(Permission.WORK_CASES)
    kind = request.kind.strip().upper() or "REPORTED"
    if kind not in FINDING_KINDS | {"REPORTED"}:
        raise InvalidInput(f"unknown case kind {request.kind!r}: REPORTED or a finding kind such as OVERCHARGE")
    direction = _direction(request.direction, kind)
    rrn = request.rrn.strip()
    line = _reported_transaction(session, principal, request) if rrn else None
    if line is not None:
        merchant_id, currency = line.merchant_id, line.currency
    else:
        if not request.merchant_id.strip():
            raise InvalidInput("name the transaction (its RRN) or at least the merchant of the case")
        merchant_id, currency = get_merchant(session, principal, request.merchant_id.strip()).merchant_id, "CNY"
        currency = request.currency.strip().upper() or currency
    at_stake = parse_minor(request.amount, currency) if request.amount.strip() else (line.amount_minor if line else 0)
    keys = [txn_case_key(merchant_id, rrn)] if rrn else []
    existing = case_for_keys(session, principal.tenant_id, keys)
    if existing is not None:
        raise Conflict(f"transaction {rrn} already has case {existing.number}", detail={"case": existing.number})
    facts = CaseFacts(
        merchant_id=merchant_id, kind=kind, direction=direction.value, currency=currency, at_stake_minor=at_stake,
        terminal_id=line.terminal_id if line else (request.terminal_id.strip() or None), rrn=rrn,
        order_no=line.order_no if line else "", txn_time=line.txn_time if line else None,
        summary=request.summary.strip(),
    )
    return create_case(session, principal.actor(), principal.tenant_id, facts, keys, now)


def _direction(text: str, kind: str) -> Direction:
    if not text.strip():
        return DIRECTION_OF_KIND.get(kind, D.MERCHANT_OWES_PAYER)
    try:
        return Direction(text.strip().upper())
    except ValueError:
        known = ", ".join(direction.value for direction in Direction)
        raise InvalidInput(f"unknown direction {text!r}; one of {known}") from None


def _reported_transaction(session: Session, principal: Principal,
                          request: OpenRequest) -> JournalLine | SettlementLine:
    """The caller's transaction with this RRN (journal first, else settlement), never another's."""
    lines: list[JournalLine] | list[SettlementLine] = _scoped_lines(session, principal, request, JournalLine)
    if not lines:
        lines = _scoped_lines(session, principal, request, SettlementLine)
    if not lines:
        raise NotFound(f"no transaction with RRN {request.rrn.strip()} that you can see")
    if len({line.terminal_id for line in lines}) > 1:
        raise InvalidInput(f"several terminals have a transaction {request.rrn}: give the terminal")
    return lines[0]


Line = TypeVar("Line", JournalLine, SettlementLine)


def _scoped_lines(session: Session, principal: Principal, request: OpenRequest, model: type[Line]) -> list[Line]:
    query = select(model).where(model.tenant_id == principal.tenant_id, model.rrn == request.rrn.strip())
    if principal.limited_to_merchants:
        query = query.where(model.merchant_id.in_(sorted(principal.merchant_ids)))
    if request.terminal_id.strip():
        query = query.where(model.terminal_id == request.terminal_id.strip())
    if request.merchant_id.strip():
        query = query.where(model.merchant_id == request.merchant_id.strip())
    return list(session.execute(query.order_by(model.id)).scalars())
