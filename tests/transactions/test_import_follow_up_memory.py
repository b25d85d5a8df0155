"""The follow-up of a journal import (warnings.after_journal_warnings) asks its questions of the file's rows
within the import's small DuckDB memory, however many rows the file holds. A file imported in pieces keeps
its rows as one small table per piece; hashing every RRN of them to find the originals of a few refunds ran
a 10-million-line import out of DuckDB's memory at the very end (bench/import.py --lines 10000000). Here
the same shape at a smaller scale: 200,000 rows in ten pieces, and a memory limit scaled down to match."""

from __future__ import annotations

from pathlib import Path

import duckdb
from tests.support.factories import World

from recoup.transactions.duck import spilling_memory
from recoup.transactions.staging import GOOD
from recoup.transactions.warnings import after_journal_warnings

ROWS, PIECES = 200_000, 10


def _pieces_of_a_big_file(con: duckdb.DuckDBPyConnection) -> None:
    """Every 100th line a refund; each names the next line as its original, except every 1,000th, whose
    original is in no file (the warning must count exactly those)."""
    per = ROWS // PIECES
    for index in range(PIECES):
        con.execute(f"""CREATE TEMP TABLE kept_{index} AS SELECT lpad(CAST(n AS VARCHAR), 12, '0') AS rrn,
            CASE WHEN n % 100 = 0 THEN 'REFUND' ELSE 'SALE' END AS txn_type,
            CASE WHEN n % 1000 = 0 THEN lpad(CAST(n + 900000000 AS VARCHAR), 12, '0')
                 WHEN n % 100 = 0 THEN lpad(CAST(n + 1 AS VARCHAR), 12, '0') END AS orig_rrn,
            'T' || (n % 50) AS terminal_id FROM range({index * per}, {(index + 1) * per}) t(n)""")
    con.execute(f"CREATE VIEW {GOOD} AS " + " UNION ALL ".join(f"SELECT * FROM kept_{i}" for i in range(PIECES)))
    con.execute("CREATE TABLE stopped_terminals (terminal_id VARCHAR)")


def test_the_refunds_whose_original_is_nowhere_are_found_within_a_small_memory(world: World, tmp_path: Path) -> None:
    with spilling_memory("16MB", spill=str(tmp_path)) as con:  # the import's 256 MB for 10M lines, scaled down
        _pieces_of_a_big_file(con)
        with world.database.unit_of_work() as session:
            flagged, notes = after_journal_warnings(session, con, world.tenants["A"].id, import_id=1)
    assert flagged == {}
    orphans = [note for note in notes if "name an original" in note]
    assert len(orphans) == 1
    assert orphans[0].startswith(f"warning: {ROWS // 1000} void/refund/reversal line(s) name an original")
    assert "REFUND 000000000000 names 000900000000" in orphans[0]
