"""A big journal file into PostgreSQL while it is still being checked, piece by piece (`importer`).

DuckDB encodes each piece's rows in PostgreSQL's binary COPY format (`copy_binary`) once the piece has been
checked, and a `CopyPipe` streams piece k into the table while piece k+1 is checked: DuckDB works on one
core, the server on the other. An error in the pieces (a bad line) leaves nothing. Then the follow-up, over
every piece, as `storing.store_transactions` does for a whole file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy.orm import Session

from recoup.scratch import scratch_folder
from recoup.transactions.copy_binary import DUCKDB_OPTIONS, binary_file, column_types, hex_row_select
from recoup.transactions.csv_input import LoadResult
from recoup.transactions.fields_sql import quote
from recoup.transactions.follow_up import NewLines
from recoup.transactions.loading import BINARY_FILES, CopyPipe
from recoup.transactions.staging import GOOD
from recoup.transactions.store_sql import JOURNAL_COLUMNS, journal_store
from recoup.transactions.storing import Stored, follow_journal_import, highest_id, stopped_terminals

# The follow-up (warnings.after_journal_warnings) reads these columns of the file's rows, in relation GOOD.
# Each piece keeps them in a small DuckDB table of its own as it goes, and GOOD is their union. A union of
# the pieces' views instead (each view re-doing its piece's checks, joins included) ran DuckDB out of its
# memory limit from about 19 pieces on (a journal of 2 million lines); keeping every column of the rows
# instead cost DuckDB about 3 CPU seconds more per million lines (bench/import.py).
FOLLOW_UP_COLUMNS = ("rrn", "txn_type", "orig_rrn", "terminal_id")
KEPT = "kept_rows"


@dataclass(frozen=True)
class Piece:
    """One piece of a journal file staged piece by piece: its load, the relation of its rows to store."""

    load: LoadResult
    good: str
    good_rows: int


def store_journal_pieces(session: Session, con: duckdb.DuckDBPyConnection, pieces: Iterable[Piece],
                         tenant_id: int, import_id: int) -> Stored:
    """Journal lines into PostgreSQL while they are still being checked (`pieces` checks each as it is
    asked for the next); a row whose identity is stored already is left alone. Then the follow-up."""
    stopped_terminals(session, con, tenant_id)
    new = NewLines(tenant_id, import_id, after_id=highest_id(session, "journal_lines"))
    goods = []
    raw: Any = session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        types = column_types(cursor, "journal_lines", JOURNAL_COLUMNS)
    with scratch_folder("pieces") as folder, \
            CopyPipe(session, "journal_lines", JOURNAL_COLUMNS, BINARY_FILES) as pipe:
        for index, piece in enumerate(pieces):
            store = journal_store(piece.load, tenant_id, import_id, "postgresql", source=piece.good, typed=True)
            target = Path(folder) / f"{index}.hex"
            con.execute(f"COPY ({hex_row_select(store.select_sql, types)}) TO {quote(str(target))} "
                        f"({DUCKDB_OPTIONS})")
            pipe.put(binary_file(target))
            goods.append(f"{KEPT}_{index}")
            con.execute(f"CREATE OR REPLACE TEMP TABLE {goods[-1]} AS SELECT {', '.join(FOLLOW_UP_COLUMNS)} "
                        f"FROM {piece.good}")
        stored = Stored(pipe.finish())
    con.execute(f"CREATE OR REPLACE VIEW {GOOD} AS " + " UNION ALL ".join(f"SELECT * FROM {g}" for g in goods))
    follow_journal_import(session, con, new, stored)
    return stored
