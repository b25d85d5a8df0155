"""After an import: book cleared settlement in the ledger and confirm the recoveries the new lines carry.

SPEC section 2 step 9: a recovery is done only when the money is seen in a later journal or settlement.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from recoup.ledger.service import post_settlement
from recoup.recovery.confirm import confirm_from_journal, confirm_from_settlement
from recoup.transactions.models import JournalLine, SettlementLine

CHUNK = 2000
CARD_SIDE = ("REFUND", "VOID", "REVERSAL")
Line = TypeVar("Line", JournalLine, SettlementLine)


def _chunks(session: Session, query: Select[Line]) -> Iterator[Sequence[Line]]:
    batch: list[Line] = []
    for line in session.execute(query.execution_options(yield_per=CHUNK)).scalars():
        batch.append(line)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def follow_settlement(session: Session, import_id: int) -> tuple[int, int]:
    """Post every new settlement line to the ledger; returns (lines posted, actions confirmed)."""
    query = select(SettlementLine).where(SettlementLine.import_id == import_id).order_by(SettlementLine.id)
    posted = confirmed = 0
    for lines in _chunks(session, query):
        confirmed += confirm_from_settlement(session, lines)
        posted += post_settlement(session, lines)
    return posted, confirmed


def follow_journal(session: Session, import_id: int) -> int:
    """Confirm refunds, voids, reversals and QR collections the new journal lines carry."""
    query = select(JournalLine).where(
        JournalLine.import_id == import_id, JournalLine.status == "APPROVED",
        or_(JournalLine.txn_type.in_(CARD_SIDE), JournalLine.order_no.like("RC-%")),
    ).order_by(JournalLine.id)
    return sum(confirm_from_journal(session, lines) for lines in _chunks(session, query))
