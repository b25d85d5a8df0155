"""The write side of an import of transactions: the checked rows into their table, then the follow-up.

Orders, journal lines (also those of a switch log) and settlement lines are written in bulk
(`loading`); the import's own rows are then found by id (above the highest stored before) for the
warnings, the recovery confirmations and the ledger. Everything stays in the caller's transaction.
A big journal file going into PostgreSQL piece by piece: `storing_pieces`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recoup.db import utcnow
from recoup.keys.ring import KeyRing
from recoup.merchants.models import Terminal
from recoup.scratch import scratch_folder
from recoup.transactions.contacts import ContactSealer
from recoup.transactions.csv_input import LoadResult
from recoup.transactions.fields_sql import quote
from recoup.transactions.follow_up import NewLines, follow_disputes, follow_journal, follow_settlement
from recoup.transactions.loading import Rows, bulk_insert, dialect_of
from recoup.transactions.models import JournalLine, Order, SettlementLine
from recoup.transactions.staging import GOOD
from recoup.transactions.store_sql import (
    SEALED_CONTACTS,
    Store,
    journal_store,
    order_store,
    settlement_store,
)
from recoup.transactions.warnings import after_journal_warnings

SEALING_BATCH = 10_000
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
    store = _store(session, con, batch, keys)
    new = NewLines(batch.tenant_id, batch.import_id, after_id=highest_id(session, store.table))
    stored = Stored(bulk_insert(session, con, Rows(
        store.select_sql, store.table, store.columns, batch.good_rows,
        constants={"tenant_id": batch.tenant_id, "import_id": batch.import_id}, progress=progress)))
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


def _store(session: Session, con: duckdb.DuckDBPyConnection, batch: Batch, keys: KeyRing) -> Store:
    dialect = dialect_of(session)
    if batch.kind == "orders":
        seal_contacts(con, keys)
        return order_store(batch.load, batch.tenant_id, batch.import_id, dialect)
    if batch.kind == "settlement":
        return settlement_store(batch.load, batch.tenant_id, batch.import_id, dialect)
    stopped_terminals(session, con, batch.tenant_id)
    return journal_store(batch.load, batch.tenant_id, batch.import_id, dialect)


def seal_contacts(con: duckdb.DuckDBPyConnection, keys: KeyRing) -> None:
    """The customer contacts of the orders to store (personal data), sealed, in DuckDB table SEALED_CONTACTS by
    line: only the rows that hold one pass through Python, and the rows go to the database as DuckDB writes
    them. Sealing every row on its way through Python made PostgreSQL take orders by a staged COPY of rows
    psycopg formatted one by one (bench/import.py: 23,000 orders a second against 33,000 journal lines)."""
    sealer = ContactSealer(keys)
    cursor = con.execute(f"SELECT line_no, order_no, customer_contact FROM {GOOD} WHERE customer_contact <> ''")
    with scratch_folder("contacts") as folder:
        sealed = Path(folder) / "sealed.csv"  # sealed values only: base64 and dots, no comma, quote or line end
        with sealed.open("w", encoding="ascii") as out:
            while batch := cursor.fetchmany(SEALING_BATCH):
                out.writelines(f"{line_no},{sealer.seal(contact, order_no)}\n" for line_no, order_no, contact in batch)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {SEALED_CONTACTS} (line_no BIGINT, contact_encrypted VARCHAR)")
        if sealed.stat().st_size:
            con.execute(f"INSERT INTO {SEALED_CONTACTS} SELECT * FROM read_csv({quote(str(sealed))}, header = false, "
                        "auto_detect = false, delim = ',', quote = '', escape = '', "
                        "columns = {'line_no': 'BIGINT', 'contact_encrypted': 'VARCHAR'})")


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
