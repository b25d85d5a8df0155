"""Bulk writes of imported rows, inside the caller's transaction.

PostgreSQL: DuckDB writes the rows as CSV to a temporary file, which is streamed with COPY into a
temporary staging table, then moved with one INSERT ... ON CONFLICT DO NOTHING. SQLite: rows are
fetched from DuckDB in chunks and inserted with executemany, ON CONFLICT DO NOTHING. Either way a
row whose identity is already stored is left alone, memory stays flat in the size of the file, and
the rows become visible only when the caller commits.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy.orm import Session

from recoup.transactions.fields_sql import quote

CHUNK_ROWS = 20_000
# Index pages of a big import do not fit SQLite's default 2 MiB page cache; a larger one, for the import
# only, halves its time.
SQLITE_IMPORT_CACHE_KIB = 256 * 1024
ANALYZE_AFTER_ROWS = 10_000
COPY_BLOCK = 1 << 20
Progress = Callable[[int], None]  # rows written so far
RowTransform = Callable[[tuple[Any, ...]], tuple[Any, ...]]


def dialect_of(session: Session) -> str:
    bind = session.get_bind()
    return bind.dialect.name


def timestamp_sql(expression: str, dialect: str) -> str:
    """A DuckDB UTC TIMESTAMP as the text the database column takes (SQLAlchemy's SQLite format)."""
    text = f"strftime({expression}, '%Y-%m-%d %H:%M:%S.%f')"
    return f"({text} || '+00')" if dialect == "postgresql" else text


def bool_sql(expression: str, dialect: str) -> str:
    return f"CAST({expression} AS INTEGER)" if dialect == "sqlite" else f"({expression})"


def bulk_insert(session: Session, con: duckdb.DuckDBPyConnection, select_sql: str, table: str,
                columns: Sequence[str], *, total: int, transform: RowTransform | None = None,
                progress: Progress | None = None) -> int:
    """Insert the rows of `select_sql` (in `columns` order) into `table`; returns how many were new."""
    raw = session.connection().connection.driver_connection
    if dialect_of(session) == "postgresql":
        return _copy_postgres(raw, con, select_sql, table, columns, total, transform, progress)
    return _insert_sqlite(raw, con, select_sql, table, columns, transform, progress)


def _chunks(con: duckdb.DuckDBPyConnection, select_sql: str, transform: RowTransform | None,
            ) -> Any:
    cursor = con.execute(select_sql)
    while batch := cursor.fetchmany(CHUNK_ROWS):
        yield [transform(row) for row in batch] if transform else batch


def _insert_sqlite(raw: Any, con: duckdb.DuckDBPyConnection, select_sql: str, table: str,
                   columns: Sequence[str], transform: RowTransform | None, progress: Progress | None) -> int:
    marks = ", ".join("?" for _ in columns)
    statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) ON CONFLICT DO NOTHING"
    before = raw.total_changes
    done = 0
    cursor = raw.cursor()
    usual_cache = cursor.execute("PRAGMA cache_size").fetchone()[0]
    cursor.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
    try:
        for batch in _chunks(con, select_sql, transform):
            cursor.executemany(statement, batch)
            done += len(batch)
            if progress:
                progress(done)
    finally:
        cursor.execute(f"PRAGMA cache_size = {int(usual_cache)}")
        cursor.close()
    return int(raw.total_changes - before)


def _copy_postgres(raw: Any, con: duckdb.DuckDBPyConnection, select_sql: str, table: str,
                   columns: Sequence[str], total: int, transform: RowTransform | None,
                   progress: Progress | None) -> int:
    stage = f"recoup_stage_{table}"
    names = ", ".join(columns)
    with raw.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE {stage} AS SELECT {names} FROM {table} WITH NO DATA")
        with cursor.copy(f"COPY {stage} ({names}) FROM STDIN (FORMAT csv)" if transform is None
                         else f"COPY {stage} ({names}) FROM STDIN") as copy:
            if transform is None:
                _stream_csv(copy, con, select_sql, total, progress)
            else:
                done = 0
                for batch in _chunks(con, select_sql, transform):
                    for row in batch:
                        copy.write_row(row)
                    done += len(batch)
                    if progress:
                        progress(done)
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} ON CONFLICT DO NOTHING")
        inserted = int(cursor.rowcount)
        cursor.execute(f"DROP TABLE {stage}")
        if inserted >= ANALYZE_AFTER_ROWS:  # fresh statistics, or the queries after the import plan blind
            cursor.execute(f"ANALYZE {table}")
    return inserted


def _stream_csv(copy: Any, con: duckdb.DuckDBPyConnection, select_sql: str, total: int,
                progress: Progress | None) -> None:
    """DuckDB writes the CSV (fast, in parallel); Python only moves its bytes to the server."""
    with tempfile.TemporaryDirectory(prefix="recoup-copy-") as folder:
        path = Path(folder) / "rows.csv"
        con.execute(f"COPY ({select_sql}) TO {quote(str(path))} (FORMAT csv, HEADER false)")
        size = max(path.stat().st_size, 1)
        sent = 0
        with path.open("rb") as handle:
            while block := handle.read(COPY_BLOCK):
                copy.write(block)
                sent += len(block)
                if progress:
                    progress(total * sent // size)
