"""After an import: book cleared settlement in the ledger and confirm the recoveries the new lines carry.

SPEC section 2 step 9: a recovery is done only when the money is seen in a later journal or settlement.

The lines of one import are found by their id range (every id above the highest one stored before the
import) and their import id, so no question here scans the stored journal. A line can only confirm an
open recovery action of its merchant, kind and amount; those are few, so only the lines that match one
are loaded and handed to `recoup.recovery.confirm` (usually none). Settlement is booked set-based.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from recoup.disputes.confirm import confirm_from_settlement as confirm_disputes
from recoup.ledger.service import SALE_TYPES
from recoup.ledger.settlement import Lines, book_settlement
from recoup.recovery.confirm import CONFIRMABLE, confirm_from_journal, confirm_from_settlement
from recoup.recovery.models import RecoveryAction, RecoveryKind
from recoup.transactions.enums import DISPUTE_TYPES
from recoup.transactions.models import JournalLine, SettlementLine

CHUNK = 2000
CARD_SIDE = ("REFUND", "VOID", "REVERSAL")
COLLECTION_PREFIX = "RC-"  # a QR collection carries its case number as the order number
Line = TypeVar("Line", JournalLine, SettlementLine)
OpenKey = tuple[str, str, int]  # merchant, action kind, amount


@dataclass(frozen=True)
class NewLines:
    """The lines one import just stored: import `import_id`, ids above `after_id`."""

    tenant_id: int
    import_id: int
    after_id: int


def follow_settlement(session: Session, new: NewLines) -> tuple[int, int]:
    """Confirm the recovery actions the new settlement lines carry, then book them in the ledger;
    returns (lines posted, actions confirmed)."""
    query = select(SettlementLine).where(
        SettlementLine.id > new.after_id, SettlementLine.import_id == new.import_id,
        SettlementLine.txn_type.in_((*CARD_SIDE, *SALE_TYPES)))
    confirmed = sum(confirm_from_settlement(session, lines)
                    for lines in _matching(session, new.tenant_id, query, SettlementLine))
    posted = book_settlement(session, Lines(import_id=new.import_id, after_id=new.after_id))
    return posted, confirmed


def follow_disputes(session: Session, new: NewLines, now: datetime) -> int:
    """Confirm the scheme disputes whose chargeback (or its reversal) the new settlement lines show."""
    query = select(SettlementLine).where(SettlementLine.id > new.after_id, SettlementLine.import_id == new.import_id,
                                         SettlementLine.txn_type.in_(DISPUTE_TYPES))
    lines = session.execute(query.order_by(SettlementLine.id)).scalars().all()
    return confirm_disputes(session, lines, now) if lines else 0


def follow_journal(session: Session, new: NewLines) -> int:
    """Confirm refunds, voids, reversals and QR collections the new journal lines carry."""
    query = select(JournalLine).where(
        JournalLine.id > new.after_id, JournalLine.import_id == new.import_id, JournalLine.status == "APPROVED",
        or_(JournalLine.txn_type.in_(CARD_SIDE), JournalLine.order_no.startswith(COLLECTION_PREFIX)))
    return sum(confirm_from_journal(session, lines) for lines in _matching(session, new.tenant_id, query, JournalLine))


def _open_keys(session: Session, tenant_id: int) -> set[OpenKey]:
    rows = session.execute(select(RecoveryAction.merchant_id, RecoveryAction.kind, RecoveryAction.amount_minor)
                           .where(RecoveryAction.tenant_id == tenant_id, RecoveryAction.status.in_(CONFIRMABLE))
                           .distinct())
    return {(merchant, kind, amount) for merchant, kind, amount in rows}


def _action_kind(txn_type: str) -> str:
    return txn_type if txn_type in CARD_SIDE else RecoveryKind.COLLECT.value


def _matching(session: Session, tenant_id: int, query: Select[Line], model: type[Line],
              ) -> Iterator[Sequence[Line]]:
    """The lines of `query` that could confirm an open action, in id order and in chunks."""
    open_keys = _open_keys(session, tenant_id)
    if not open_keys:
        return
    merchants = sorted({merchant for merchant, _, _ in open_keys})
    amounts = sorted({amount for _, _, amount in open_keys})
    query = query.where(model.merchant_id.in_(merchants), model.amount_minor.in_(amounts))
    batch: list[Line] = []
    for line in session.execute(query.order_by(model.id).execution_options(yield_per=CHUNK)).scalars():
        if (line.merchant_id, _action_kind(line.txn_type), line.amount_minor) not in open_keys:
            continue
        batch.append(line)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch
