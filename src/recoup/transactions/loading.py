"""Bulk writes of imported rows, inside the caller's transaction.

PostgreSQL: DuckDB writes the rows in PostgreSQL's COPY text format (`copy_feed`: less work for the
server than CSV) while they are streamed with COPY straight into the table, inside a savepoint. Only if a
row's identity is already stored (an overlapping file, a line repeated within the file) is that undone and
the file moved instead through a temporary staging table and one INSERT ... ON CONFLICT DO NOTHING.
SQLite: rows are fetched from DuckDB in chunks and inserted with executemany, ON CONFLICT DO NOTHING.
`CopyPipe` is the COPY of a file checked piece by piece: one COPY fed from a thread of its own with each
piece's rows as they are ready (in the binary format: `copy_binary`). Either way a row whose identity is
already stored is left alone, memory stays flat in the size of the file, and the rows become visible only when
the caller commits.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import psycopg
from sqlalchemy.orm import Session

from recoup.scratch import scratch_folder
from recoup.transactions import copy_binary
from recoup.transactions.copy_feed import BLOCK, TEXT, CsvFeed, text_select

CHUNK_ROWS = 20_000
# Index pages of a big import do not fit SQLite's default 2 MiB page cache; a larger one, for the import
# only, halves its time. 64 MiB imports a million lines as fast as 256 MiB did, with 280 MiB less peak.
SQLITE_IMPORT_CACHE_KIB = 64 * 1024
ANALYZE_AFTER_ROWS = 10_000
SQLITE_ANALYSIS_ROWS = 1000
# A table's statistics still describe it while an import adds at most this share of the rows they describe:
# no ANALYZE then (autovacuum refreshes them once a tenth of the rows has changed, over every import).
STATISTICS_STALE_SHARE = 0.1
# The journal's columns the queries right after its import filter or join on (follow_up, warnings): only
# those are analyzed inside the import, which costs the server about 60% of a whole ANALYZE (bench/import.py
# --profile). Such an ANALYZE leaves the table's count of changed rows as it is, so autovacuum still analyzes
# every column once the import is committed. Others (settlement: the ledger's booking reads many): whole.
# Their statistics from a sample of 300 x this many rows (PostgreSQL's default target is 100): enough for the
# follow-up's plans (which index, which join), in a tenth of the server's time (0.36 -> 0.03 s after a
# million lines, bench/import.py), which the import would spend with nothing else to do. Autovacuum's
# ANALYZE then describes the table at the usual target.
IMPORT_STATISTICS_TARGET = 10
ANALYZED_COLUMNS = {
    "journal_lines": ("id", "tenant_id", "import_id", "merchant_id", "terminal_id", "txn_type", "status",
                      "amount_minor", "rrn", "orig_rrn", "order_no", "flagged_stopped"),
}
SAVEPOINT = "recoup_straight_copy"
COPY_OPTIONS = TEXT.copy_options  # the rows DuckDB writes: PostgreSQL's text format
Progress = Callable[[int], None]  # rows written so far


@dataclass(frozen=True)
class Rows:
    """What to write: the rows of `select_sql` (DuckDB), in `columns` order, into `table`."""

    select_sql: str
    table: str
    columns: Sequence[str]
    total: int
    # Columns whose value is the same on every row (the tenant, the import): SQLite gets them as
    # literals in the statement instead of once per row.
    constants: Mapping[str, int] = field(default_factory=dict)
    progress: Progress | None = None


def dialect_of(session: Session) -> str:
    bind = session.get_bind()
    return bind.dialect.name


def timestamp_sql(expression: str, dialect: str) -> str:
    """A DuckDB UTC TIMESTAMP as the text the database column takes (SQLAlchemy's SQLite format)."""
    text = f"strftime({expression}, '%Y-%m-%d %H:%M:%S.%f')"
    return f"({text} || '+00')" if dialect == "postgresql" else text


def bool_sql(expression: str, dialect: str) -> str:
    return f"CAST({expression} AS INTEGER)" if dialect == "sqlite" else f"({expression})"


def bulk_insert(session: Session, con: duckdb.DuckDBPyConnection, rows: Rows) -> int:
    """Insert `rows`; returns how many were new."""
    raw = session.connection().connection.driver_connection
    if dialect_of(session) == "postgresql":
        return _copy_postgres(raw, con, rows)
    return _insert_sqlite(raw, con, rows)


def _chunks(con: duckdb.DuckDBPyConnection, select_sql: str) -> Iterator[list[Any]]:
    cursor = con.execute(select_sql)
    while batch := cursor.fetchmany(CHUNK_ROWS):
        yield batch


def _sqlite_statement(rows: Rows) -> tuple[str, str]:
    """(INSERT statement, DuckDB select of the values it binds): constants are literals, not bound."""
    constants = rows.constants
    bound = [column for column in rows.columns if column not in constants]
    names = ", ".join([*constants, *bound])
    values = ", ".join([*(str(int(value)) for value in constants.values()), *("?" for _ in bound)])
    statement = f"INSERT INTO {rows.table} ({names}) VALUES ({values}) ON CONFLICT DO NOTHING"
    select_sql = (f"SELECT {', '.join(bound)} FROM ({rows.select_sql}) AS stored_rows ({', '.join(rows.columns)})"
                  if constants else rows.select_sql)
    return statement, select_sql


def _insert_sqlite(raw: Any, con: duckdb.DuckDBPyConnection, rows: Rows) -> int:
    statement, select_sql = _sqlite_statement(rows)
    before = raw.total_changes
    done = 0
    cursor = raw.cursor()
    usual_cache = cursor.execute("PRAGMA cache_size").fetchone()[0]
    cursor.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
    try:
        for batch in _chunks(con, select_sql):
            cursor.executemany(statement, batch)
            done += len(batch)
            if rows.progress:
                rows.progress(done)
        inserted = int(raw.total_changes - before)
        if inserted >= ANALYZE_AFTER_ROWS:
            _analyze_sqlite(cursor, rows.table)
    finally:
        cursor.execute(f"PRAGMA cache_size = {int(usual_cache)}")
        cursor.close()
    return inserted


def _analyze_sqlite(cursor: Any, table: str) -> None:
    """Statistics after a big write. Without them SQLite takes `tenant_id = ?` on the journal's unique index
    for the best filter, and a search by merchant and hour reads every line of the tenant (measured on 10
    million lines: 107 s instead of 2 ms). SQLITE_ANALYSIS_ROWS bounds the rows it samples per index
    (0.01 s at 10 million lines); the statistics are written in the import's own transaction."""
    cursor.execute(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_ROWS}")
    cursor.execute(f"ANALYZE {table}")


def _copy_postgres(raw: Any, con: duckdb.DuckDBPyConnection, rows: Rows) -> int:
    with raw.cursor() as cursor:
        with scratch_folder("copy") as folder, \
                CsvFeed(con, text_select(con, rows.select_sql), Path(folder) / "rows.txt", TEXT) as feed:
            straight = _copy_straight(cursor, rows, _Fill(COPY_OPTIONS, lambda copy: _send(
                copy, feed.blocks(), rows)))
            inserted = straight if straight is not None else _copy_staged(cursor, rows, _Fill(
                COPY_OPTIONS, lambda copy: _send(copy, _file_blocks(feed.whole_file()), rows)))
        analyze_after(cursor, rows.table, inserted)
    return inserted


def analyze_after(cursor: Any, table: str, inserted: int) -> None:
    """Fresh statistics after a big write, or the queries after the import plan blind (measured: a follow-up
    query of a million-line first import takes 7 s instead of 14 ms): of the columns they filter on
    (`ANALYZED_COLUMNS`). None when the table's statistics still describe it (`STATISTICS_STALE_SHARE`)."""
    if inserted < ANALYZE_AFTER_ROWS:
        return
    described = float(cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", (table,))
                      .fetchone()[0])  # -1: never analyzed; not changed by the rows just written
    if inserted <= described * STATISTICS_STALE_SHARE:
        return
    columns = ANALYZED_COLUMNS.get(table)
    if not columns:
        cursor.execute(f"ANALYZE {table}")
        return
    usual = cursor.execute("SELECT current_setting('default_statistics_target')").fetchone()[0]
    cursor.execute(f"SET default_statistics_target = {IMPORT_STATISTICS_TARGET}")
    try:
        cursor.execute(f"ANALYZE {table} ({', '.join(columns)})")
    finally:
        cursor.execute(f"SET default_statistics_target = {int(usual)}")


@dataclass(frozen=True)
class _Fill:
    """How the rows reach a COPY: its options, and what writes them into it."""

    options: str
    write: Callable[[Any], None]


def _copy_straight(cursor: Any, rows: Rows, fill: _Fill) -> int | None:
    """COPY into the table itself; None (and nothing written) when a row's identity is already there."""
    cursor.execute(f"SAVEPOINT {SAVEPOINT}")
    try:
        with cursor.copy(f"COPY {rows.table} ({', '.join(rows.columns)}) FROM STDIN {fill.options}") as copy:
            fill.write(copy)
    except psycopg.errors.UniqueViolation:
        cursor.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
        return None
    copied = int(cursor.rowcount)
    cursor.execute(f"RELEASE SAVEPOINT {SAVEPOINT}")
    return copied


def _copy_staged(cursor: Any, rows: Rows, fill: _Fill) -> int:
    """COPY into a temporary table, then move the rows whose identity is new."""
    stage = f"recoup_stage_{rows.table}"
    names = ", ".join(rows.columns)
    cursor.execute(f"CREATE TEMP TABLE {stage} AS SELECT {names} FROM {rows.table} WITH NO DATA")
    with cursor.copy(f"COPY {stage} ({names}) FROM STDIN {fill.options}") as copy:
        fill.write(copy)
    cursor.execute(f"INSERT INTO {rows.table} ({names}) SELECT {names} FROM {stage} ON CONFLICT DO NOTHING")
    inserted = int(cursor.rowcount)
    cursor.execute(f"DROP TABLE {stage}")
    return inserted


def _send(copy: Any, blocks: Iterable[bytes], rows: Rows) -> None:
    """Blocks of rows to COPY; progress counts line ends (the text format escapes those inside values)."""
    lines = 0
    for block in blocks:
        copy.write(block)
        if rows.progress:
            lines += block.count(b"\n")
            rows.progress(min(lines, rows.total))


class _Abandoned(Exception):
    pass


@dataclass(frozen=True)
class PipeFormat:
    """The files a `CopyPipe` is fed: the COPY's options, each file's bytes, what comes before and after."""

    copy_options: str
    blocks: Callable[[Path], Iterator[bytes]]
    header: bytes = b""
    trailer: bytes = b""


def _file_blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            yield block


# Rows in the binary format (copy_binary.binary_file), without the format's header and trailer.
BINARY_FILES = PipeFormat(copy_binary.COPY_OPTIONS, _file_blocks, copy_binary.HEADER, copy_binary.TRAILER)


class CopyPipe:
    """One COPY into `table` in a thread of its own, fed with files of rows in `form` (BINARY_FILES: rows in the
    binary format) as the caller hands them over, so
    that the database stores piece k while the caller prepares piece k+1 (the server works on the other
    core). `with CopyPipe(session, table, columns, form) as pipe: pipe.put(file) ...; pipe.finish()`.

    Inside a savepoint: leaving the block without `finish` (an error, a piece found bad) cancels the COPY
    and leaves nothing. If a row's identity is already stored, `finish` moves the files instead through
    the staging table and one INSERT ... ON CONFLICT DO NOTHING, as `bulk_insert` does. Until `finish`
    returns, the caller must not use the session: its connection is the COPY's."""

    def __init__(self, session: Session, table: str, columns: Sequence[str], form: PipeFormat) -> None:
        self._raw: Any = session.connection().connection.driver_connection
        self._rows = Rows("", table, columns, 0)
        self._form = form
        self._files: list[Path] = []
        self._queue: queue.SimpleQueue[Path | _Abandoned | None] = queue.SimpleQueue()
        self._cursor: Any = None
        self._copied: int | None = None
        self._error: BaseException | None = None
        self._finished = False
        self._thread = threading.Thread(target=self._copy, name="recoup-copy-pipe", daemon=True)

    def __enter__(self) -> CopyPipe:
        self._cursor = self._raw.cursor()
        self._cursor.execute(f"SAVEPOINT {SAVEPOINT}")
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: object) -> None:
        try:
            if not self._finished:
                self._queue.put(_Abandoned())
                self._thread.join()
                self._cursor.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
                self._cursor.execute(f"RELEASE SAVEPOINT {SAVEPOINT}")
        finally:
            self._cursor.close()

    def put(self, path: Path) -> None:
        """One more file of rows (text format, the table's columns), whole: it is read only from now on."""
        self._files.append(path)
        self._queue.put(path)

    def finish(self) -> int:
        """Wait for the COPY to end; returns how many rows were new."""
        self._queue.put(None)
        self._thread.join()
        self._finished = True
        cursor, rows = self._cursor, self._rows
        if self._error is not None:
            cursor.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
            raise self._error
        if self._copied is None:  # a row's identity is already stored
            cursor.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
            self._copied = _copy_staged(cursor, rows, _Fill(self._form.copy_options, lambda copy: _send(
                copy, self._blocks(), rows)))
        cursor.execute(f"RELEASE SAVEPOINT {SAVEPOINT}")
        analyze_after(cursor, rows.table, self._copied)
        return self._copied

    def _blocks(self) -> Iterator[bytes]:
        yield self._form.header
        for path in self._files:
            yield from self._form.blocks(path)
        yield self._form.trailer

    def _copy(self) -> None:
        rows, form = self._rows, self._form
        try:
            with self._cursor.copy(f"COPY {rows.table} ({', '.join(rows.columns)}) FROM STDIN {form.copy_options}") \
                    as copy:
                copy.write(form.header)
                while (item := self._queue.get()) is not None:
                    if isinstance(item, _Abandoned):
                        raise _Abandoned
                    for block in form.blocks(item):
                        copy.write(block)
                copy.write(form.trailer)
            self._copied = int(self._cursor.rowcount)
        except psycopg.errors.UniqueViolation:
            self._copied = None
        except _Abandoned:
            pass
        except BaseException as error:  # handed to the caller, who raises it
            self._error = error
