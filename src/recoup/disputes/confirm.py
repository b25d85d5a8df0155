"""Settlement lines that confirm a dispute's money (docs/disputes.md, "settlement format extension").

A settlement line of type CHARGEBACK confirms the debit of the dispute on that sale (same tenant,
merchant and RRN); CHARGEBACK_REVERSAL confirms its credit back. The importer of settlement files
calls `confirm_from_settlement` with the lines it stored, in its own transaction; lines of other types
are ignored, and a line seen again changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.audit.service import Actor
from recoup.cases.repository import get_case_by_id
from recoup.disputes.effects import put_on_record
from recoup.disputes.models import Dispute
from recoup.money import format_major
from recoup.transactions.models import SettlementLine

CONFIRMING_TYPES = ("CHARGEBACK", "CHARGEBACK_REVERSAL")
SETTLEMENT = Actor("settlement", None, "import")


def confirm_from_settlement(session: Session, lines: Sequence[SettlementLine], now: datetime) -> int:
    """Mark the disputes whose chargeback (or reversal) these lines show; returns how many."""
    confirmed = 0
    for line in lines:
        if line.txn_type not in CONFIRMING_TYPES:
            continue
        reversal = line.txn_type == "CHARGEBACK_REVERSAL"
        for dispute in _disputes_of(session, line):
            if reversal and dispute.credited_minor and dispute.credit_confirmed_at is None:
                dispute.credit_confirmed_at = now
            elif not reversal and dispute.debited_minor and dispute.debit_confirmed_at is None:
                dispute.debit_confirmed_at = now
            else:
                continue
            case = get_case_by_id(session, dispute.case_id, lock=True)
            put_on_record(session, SETTLEMENT, case, dispute, "confirmed", now,
                          f"{line.txn_type} settled on {line.settle_date} "
                          f"({format_major(abs(line.amount_minor), line.currency)} {line.currency})",
                          before={"settlement_line": line.id})
            confirmed += 1
    return confirmed


def _disputes_of(session: Session, line: SettlementLine) -> list[Dispute]:
    query = select(Dispute).where(Dispute.tenant_id == line.tenant_id, Dispute.merchant_id == line.merchant_id,
                                  Dispute.rrn == line.rrn, Dispute.amount_minor == abs(line.amount_minor))
    return list(session.execute(query.order_by(Dispute.id)).scalars())
