"""The write side of an import of transactions: the checked rows into their table, then the follow-up.

Orders, journal lines (also those of a switch log) and settlement lines are written in bulk
(`loading`); the import's own rows are then found by id (above the highest stored before) for the
warnings, the recovery confirmations and the ledger. Everything stays in the caller's transaction.
A big journal file going into PostgreSQL piece by piece: `storing_pieces`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recoup.db import utcnow
from recoup.keys.ring import KeyRing
from recoup.merchants.models import Terminal
from recoup.transactions.contacts import ContactSealer
from recoup.transactions.csv_input import LoadResult
from recoup.transactions.follow_up import NewLines, follow_disputes, follow_journal, follow_settlement
from recoup.transactions.loading import Rows, RowTransform, bulk_insert, dialect_of
from recoup.transactions.models import JournalLine, Order, SettlementLine
from recoup.transactions.store_sql import (
    CONTACT_POSITION,
    ORDER_NO_POSITION,
    Store,
    journal_store,
    order_store,
    settlement_store,
)
from recoup.transactions.warnings import after_journal_warnings

FACT_TABLES: dict[str, type[JournalLine] | type[SettlementLine] | type[Order]] = {
    "journal_lines": JournalLine, "settlement_lines": SettlementLine, "orders": Order}


@dataclass(frozen=True)
class Batch:
    """One import's rows to store: of `kind`, staged in `load` (relation GOOD), `good_rows` of them."""

    kind: str
    load: LoadResult
    good_rows: int
    tenant_id: int
    import_id: int


@dataclass
class Stored:
    imported: int = 0
    ledger_posted: int = 0  # settlement lines booked in the ledger
    recoveries_confirmed: int = 0
    disputes_confirmed: int = 0  # chargebacks and reversals of scheme disputes the settlement confirmed
    flagged_stopped: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def store_transactions(session: Session, con: duckdb.DuckDBPyConnection, batch: Batch, keys: KeyRing,
                       progress: Callable[[int], None]) -> Stored:
    """Write the batch's rows (a row whose identity is stored already is left alone) and follow them up."""
    store, transform = _store(session, con, batch, keys)
    new = NewLines(batch.tenant_id, batch.import_id, after_id=highest_id(session, store.table))
    stored = Stored(bulk_insert(session, con, Rows(
        store.select_sql, store.table, store.columns, batch.good_rows,
        constants={"tenant_id": batch.tenant_id, "import_id": batch.import_id}, transform=transform,
        progress=progress)))
    session.flush()
    if batch.kind in ("journal", "iso8583"):
        follow_journal_import(session, con, new, stored)
    elif batch.kind == "settlement":
        stored.ledger_posted, stored.recoveries_confirmed = follow_settlement(session, new)
        stored.disputes_confirmed = follow_disputes(session, new, utcnow())
    return stored


def follow_journal_import(session: Session, con: duckdb.DuckDBPyConnection, new: NewLines, stored: Stored) -> None:
    """After journal lines are stored: the warnings (the file's rows in DuckDB relation GOOD, the new lines
    in the database) and the recovery actions they confirm, into `stored`."""
    stored.flagged_stopped, stored.warnings = after_journal_warnings(session, con, new.tenant_id, new.import_id)
    stored.recoveries_confirmed = follow_journal(session, new)


def _store(session: Session, con: duckdb.DuckDBPyConnection, batch: Batch, keys: KeyRing,
           ) -> tuple[Store, RowTransform | None]:
    dialect = dialect_of(session)
    if batch.kind == "orders":
        return order_store(batch.load, batch.tenant_id, batch.import_id, dialect), _contact_sealing(keys)
    if batch.kind == "settlement":
        return settlement_store(batch.load, batch.tenant_id, batch.import_id, dialect), None
    stopped_terminals(session, con, batch.tenant_id)
    return journal_store(batch.load, batch.tenant_id, batch.import_id, dialect), None


def _contact_sealing(keys: KeyRing) -> RowTransform:
    """Orders go to the database with the customer's contact sealed (personal data)."""
    sealer = ContactSealer(keys)

    def seal(row: tuple[object, ...]) -> tuple[object, ...]:
        values = list(row)
        contact = values[CONTACT_POSITION]
        values[CONTACT_POSITION] = sealer.seal(str(contact) if contact else None, str(values[ORDER_NO_POSITION]))
        return tuple(values)

    return seal


def highest_id(session: Session, table: str) -> int:
    """The highest id stored before this import writes: its own rows are the ones above (an index lookup)."""
    model = FACT_TABLES[table]
    return int(session.execute(select(func.coalesce(func.max(model.id), 0))).scalar_one())


def stopped_terminals(session: Session, con: duckdb.DuckDBPyConnection, tenant_id: int) -> None:
    """The tenant's terminals stopped right now: every line arriving for one of them is flagged."""
    stopped = session.execute(select(Terminal.terminal_id).where(
        Terminal.tenant_id == tenant_id, Terminal.stopped.is_(True))).scalars().all()
    con.execute("CREATE OR REPLACE TABLE stopped_terminals (terminal_id VARCHAR)")
    if stopped:
        con.executemany("INSERT INTO stopped_terminals VALUES (?)", [[t] for t in stopped])
