"""What an import of journal lines tells its user once the rows are stored: lines flagged because their
terminal is stopped, voids/refunds/reversals whose original is not (yet) in the database, earlier ones
whose original has now arrived, and terminals missing from the registry.

Each question is asked of the file's rows (in DuckDB) or through an index, never by scanning the stored
journal, which may hold millions of lines.
"""

from __future__ import annotations

import duckdb
from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session, aliased

from recoup.merchants.models import Terminal
from recoup.transactions.models import JournalLine
from recoup.transactions.staging import GOOD

UNDOING_TYPES = ("VOID", "REFUND", "REVERSAL")
EXAMPLES = 5
LOOKUP_CHUNK = 500


def after_journal_warnings(session: Session, con: duckdb.DuckDBPyConnection, tenant_id: int,
                           import_id: int) -> tuple[dict[str, int], list[str]]:
    flagged = _flagged(session, con, import_id)
    notes = []
    if flagged:
        listed = ", ".join(f"{terminal} ({count})" for terminal, count in flagged.items())
        notes.append(f"{sum(flagged.values())} line(s) arrived for stopped terminals and are flagged: {listed}")
    notes += _orphans(session, con, tenant_id)
    notes += _now_linked(session, tenant_id, import_id)
    notes += _unknown_terminals(session, con, tenant_id)
    return flagged, notes


def _flagged(session: Session, con: duckdb.DuckDBPyConnection, import_id: int) -> dict[str, int]:
    stopped = [row[0] for row in con.execute("SELECT terminal_id FROM stopped_terminals").fetchall()]
    if not stopped:
        return {}
    rows = session.execute(
        select(JournalLine.terminal_id, func.count()).where(
            JournalLine.terminal_id.in_(stopped), JournalLine.import_id == import_id,
            JournalLine.flagged_stopped.is_(True))
        .group_by(JournalLine.terminal_id).order_by(JournalLine.terminal_id)).all()
    return {terminal: int(count) for terminal, count in rows}


def _orphans(session: Session, con: duckdb.DuckDBPyConnection, tenant_id: int) -> list[str]:
    """Undoing lines whose original is neither in the file nor stored (by RRN, within the tenant).

    The few undoing lines are set apart first, and the file's lines are then only probed against their
    originals: a join that hashes every RRN of a file of millions of lines overruns the import's small
    DuckDB memory (the rows of a file imported in pieces cannot all be held)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE undoing_lines AS SELECT rrn, txn_type, orig_rrn FROM {GOOD} "
                f"WHERE txn_type IN {UNDOING_TYPES}")
    con.execute("CREATE OR REPLACE TEMP TABLE named_originals AS SELECT DISTINCT orig_rrn FROM undoing_lines "
                "WHERE orig_rrn IS NOT NULL")  # a table: the join below then hashes it, the smaller side
    con.execute(f"CREATE OR REPLACE TEMP TABLE originals_in_file AS SELECT o.rrn FROM {GOOD} o "
                "SEMI JOIN named_originals n ON o.rrn = n.orig_rrn")
    candidates = con.execute(
        "SELECT coalesce(rrn, ''), txn_type, coalesce(orig_rrn, '') FROM undoing_lines u "
        "WHERE orig_rrn IS NULL OR NOT EXISTS (SELECT 1 FROM originals_in_file o WHERE o.rrn = u.orig_rrn) "
        "ORDER BY rrn").fetchall()
    for table in ("undoing_lines", "named_originals", "originals_in_file"):
        con.execute(f"DROP TABLE {table}")
    wanted = sorted({orig for _, _, orig in candidates if orig})
    stored: set[str] = set()
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start:start + LOOKUP_CHUNK]
        stored |= set(session.execute(select(JournalLine.rrn).where(
            JournalLine.tenant_id == tenant_id, JournalLine.rrn.in_(chunk))).scalars())
    orphans = [(rrn, txn_type, orig) for rrn, txn_type, orig in candidates if not orig or orig not in stored]
    if not orphans:
        return []
    shown = "; ".join(f"{txn_type} {rrn or '(no RRN)'} names {orig or 'no original'}"
                      for rrn, txn_type, orig in orphans[:EXAMPLES])
    return [f"warning: {len(orphans)} void/refund/reversal line(s) name an original that is not in the database "
            f"(yet); imported, and linked when the original arrives: {shown}"]


def now_linked_query(tenant_id: int, import_id: int) -> Select[int]:
    """How many earlier undoing lines find their original in import `import_id`. They are read from the
    partial orig_rrn index (it holds only those, and leads with the tenant as the identity does, so the
    planners prefer it), each original looked up by the identity (tenant, RRN)."""
    arrived = aliased(JournalLine)
    return select(func.count()).select_from(JournalLine).where(
        JournalLine.tenant_id == tenant_id, JournalLine.orig_rrn != "", JournalLine.import_id != import_id,
        exists().where(arrived.tenant_id == tenant_id, arrived.rrn == JournalLine.orig_rrn,
                       arrived.import_id == import_id))


def _now_linked(session: Session, tenant_id: int, import_id: int) -> list[str]:
    count = session.execute(now_linked_query(tenant_id, import_id)).scalar_one()
    return [f"{count} earlier void/refund/reversal line(s) now find their original"] if count else []


def _unknown_terminals(session: Session, con: duckdb.DuckDBPyConnection, tenant_id: int) -> list[str]:
    registered = set(session.execute(select(Terminal.terminal_id).where(Terminal.tenant_id == tenant_id)).scalars())
    named = [row[0] for row in con.execute(f"SELECT DISTINCT terminal_id FROM {GOOD} ORDER BY 1").fetchall()]
    unknown = [terminal for terminal in named if terminal not in registered]
    if not unknown:
        return []
    return [f"{len(unknown)} terminal(s) not in the registry: {', '.join(unknown[:20])}"]
