"""Which stored line explains a finding that went away, and whether the settlement covers a day.

A finding goes away when a later file shows the money moved: a refund, void or reversal at the
terminal naming its transaction (`orig_rrn`), or a settlement line for it (a late settlement). The
amount recovered is the one the ledger shows: the settlement import already booked the line
(`recoup.ledger.settlement`, txn_key terminal:rrn:type), so nothing is posted again here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recoup.cases.follow_rules import Explanation
from recoup.ledger.models import LedgerEntry, LedgerPosting
from recoup.ledger.service import txn_key
from recoup.reconciliation.models import StoredFinding
from recoup.transactions.enums import DISPUTE_TYPES
from recoup.transactions.models import JournalLine, SettlementLine

MONEY_BACK = ("REFUND", "VOID", "REVERSAL")
# Kinds a settlement line arriving late puts right (a corrected line, for a mismatch).
LATE_LINE_KINDS = frozenset({"UNSETTLED", "REFUND_NOT_SETTLED", "SETTLEMENT_MISMATCH"})


def settlement_covers(session: Session, tenant_id: int, merchant_id: str, day: date) -> bool:
    """SPEC section 4: the settlement covers a merchant's day when it holds a line of that day."""
    found = session.execute(select(SettlementLine.id).where(
        SettlementLine.tenant_id == tenant_id, SettlementLine.merchant_id == merchant_id,
        SettlementLine.local_date == day).limit(1)).first()
    return found is not None


def explain(session: Session, tenant_id: int, gone: Sequence[StoredFinding]) -> Explanation | None:
    """The line that explains the first explainable finding of `gone`, or None."""
    for finding in gone:
        found = (_journal_arrived(session, tenant_id, finding) if finding.kind == "UNKNOWN_SETTLEMENT" else None) \
            or _money_back(session, tenant_id, finding) or _late_settlement(session, tenant_id, finding)
        if found is not None:
            return found
    return None


def _money_back(session: Session, tenant_id: int, finding: StoredFinding) -> Explanation | None:
    """The latest approved refund, void or reversal naming the finding's transactions; the money is
    seen when every such line settled (a void of a sale that never settled has nothing to settle),
    and what came back is what the ledger booked for them."""
    names = sorted({rrn for rrn in (finding.rrn, finding.related_rrn) if rrn})
    if not names:
        return None
    query = select(JournalLine).where(
        JournalLine.tenant_id == tenant_id, JournalLine.merchant_id == finding.merchant_id,
        JournalLine.orig_rrn.in_(names), JournalLine.txn_type.in_(MONEY_BACK), JournalLine.status == "APPROVED")
    if finding.terminal_id:
        query = query.where(JournalLine.terminal_id == finding.terminal_id)
    lines = list(session.execute(query.order_by(JournalLine.txn_time, JournalLine.id)).scalars())
    if not lines:
        return None
    settled, recovered = True, 0
    for line in lines:
        cleared = _settlement_line(session, tenant_id, line.merchant_id, line.terminal_id, line.rrn, line.txn_type)
        never_settles = line.txn_type == "VOID" and _settlement_line(
            session, tenant_id, line.merchant_id, line.terminal_id, line.orig_rrn or "", None) is None
        settled = settled and (cleared is not None or never_settles)
        booked = _booked(session, tenant_id, txn_key(line.terminal_id, line.rrn, line.txn_type))
        recovered += booked or (cleared.amount_minor if cleared is not None else line.amount_minor)
    last = lines[-1]
    return Explanation("journal", last.txn_type, last.rrn, last.local_date.isoformat(), last.amount_minor,
                       settled, recovered, last.currency)


def _journal_arrived(session: Session, tenant_id: int, finding: StoredFinding) -> Explanation | None:
    """A settlement line had no journal line until a later journal brought it: nothing was owed."""
    if not finding.rrn:
        return None
    query = select(JournalLine).where(JournalLine.tenant_id == tenant_id,
                                      JournalLine.merchant_id == finding.merchant_id, JournalLine.rrn == finding.rrn)
    if finding.terminal_id:
        query = query.where(JournalLine.terminal_id == finding.terminal_id)
    line = session.execute(query.order_by(JournalLine.id).limit(1)).scalar()
    if line is None:
        return None
    return Explanation("journal", line.txn_type, line.rrn, line.local_date.isoformat(), line.amount_minor, True, 0,
                       line.currency)


def _late_settlement(session: Session, tenant_id: int, finding: StoredFinding) -> Explanation | None:
    """The settlement line that was missing (or, for a mismatch, the corrected one)."""
    if finding.kind not in LATE_LINE_KINDS or not finding.rrn or not finding.terminal_id:
        return None
    line = _settlement_line(session, tenant_id, finding.merchant_id, finding.terminal_id, finding.rrn, None)
    if line is None:
        return None
    if finding.kind == "SETTLEMENT_MISMATCH":
        recovered = abs(finding.difference_minor)
    else:
        recovered = _booked(session, tenant_id, txn_key(line.terminal_id, line.rrn, line.txn_type)) or line.amount_minor
    return Explanation("settlement", line.txn_type, line.rrn, line.local_date.isoformat(), line.amount_minor,
                       True, recovered, line.currency)


def _settlement_line(session: Session, tenant_id: int, merchant_id: str, terminal_id: str, rrn: str,
                     txn_type: str | None) -> SettlementLine | None:
    if not rrn:
        return None
    query = select(SettlementLine).where(
        SettlementLine.tenant_id == tenant_id, SettlementLine.merchant_id == merchant_id,
        SettlementLine.terminal_id == terminal_id, SettlementLine.rrn == rrn)
    if txn_type is not None:
        query = query.where(SettlementLine.txn_type == txn_type)
    else:  # a chargeback line clears nothing (docs/disputes.md)
        query = query.where(SettlementLine.txn_type.not_in(DISPUTE_TYPES))
    return session.execute(query.order_by(SettlementLine.id.desc()).limit(1)).scalar()


def _booked(session: Session, tenant_id: int, key: str) -> int:
    """What the ledger's postings of this transaction moved (the sum of their debits), 0 when none."""
    total = session.execute(select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0))
                            .join(LedgerPosting, LedgerPosting.id == LedgerEntry.posting_id)
                            .where(LedgerPosting.tenant_id == tenant_id, LedgerPosting.txn_key == key,
                                   LedgerEntry.amount_minor > 0)).scalar_one()
    return int(total)

