"""Rows as bytes for PostgreSQL's COPY, written by DuckDB while they are being sent.

The imports use PostgreSQL's own text format (`TEXT`: tab between values, \\N for NULL, backslash escapes,
which `text_select` applies in DuckDB's SQL): the server parses it with less work than CSV. `CSV` remains
for callers that want CSV.

DuckDB writes the CSV file in a thread of its own (in parallel, without the GIL) and the caller reads
the file as it grows, so the database server is busy from the first megabyte on instead of waiting for
the whole file. The file stays on disk until the feed closes: a COPY that has to be redone reads it again.

DuckDB writes at offsets from several threads (`pwrite`): the end of a buffer can land before its start,
so while it writes, the file can hold a hole that reads as zero bytes. Rows never hold a zero byte
(PostgreSQL's text refuses it, in either format), so a zero byte read before DuckDB has finished is a part not written
yet: the feed stops just before it and reads it again later.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import duckdb

from recoup.transactions.fields_sql import quote

BLOCK = 1 << 20
CAUGHT_UP_PAUSE_SECONDS = 0.002


@dataclass(frozen=True)
class FeedFormat:
    """How DuckDB writes the rows, and the options of the COPY that reads them."""

    duckdb_options: str
    copy_options: str


CSV = FeedFormat("FORMAT csv, HEADER false", "(FORMAT csv)")
# No quoting at all: `text_select` has escaped what the text format escapes, NULL is written as \N.
TEXT = FeedFormat("FORMAT csv, DELIMITER '\t', QUOTE '', ESCAPE '', NULLSTR '\\N', HEADER false", "")
_ESCAPES = (("'\\'", "'\\\\'"), ("chr(9)", "'\\t'"), ("chr(10)", "'\\n'"), ("chr(13)", "'\\r'"))


def text_value_sql(expression: str) -> str:
    """A DuckDB text `expression` as a value of PostgreSQL's COPY text format: backslash, tab, line feed and
    carriage return escaped (a backslash first). Most values hold none of them and are left as they are."""
    escaped = expression
    for found, replacement in _ESCAPES:
        escaped = f"replace({escaped}, {found}, {replacement})"
    holds = " OR ".join(f"contains({expression}, {found})" for found, _ in _ESCAPES)
    return f"CASE WHEN {holds} THEN {escaped} ELSE {expression} END"


def text_select(con: duckdb.DuckDBPyConnection, select_sql: str) -> str:
    """`select_sql` with each of its text columns escaped for the text format (`text_value_sql`); numbers,
    booleans and NULL need nothing (DuckDB writes them as PostgreSQL reads them)."""
    kinds = [str(kind) for kind in con.sql(select_sql).types]
    names = [f"c{index}" for index in range(len(kinds))]
    values = [text_value_sql(name) if kind == "VARCHAR" else name for name, kind in zip(names, kinds, strict=True)]
    return f"SELECT {', '.join(values)} FROM ({select_sql}) AS fed ({', '.join(names)})"


class CsvFeed:
    """`with CsvFeed(con, select_sql, path) as feed: for block in feed.blocks(): ...`; in `form` (CSV, or
    TEXT for a `text_select`)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, select_sql: str, path: Path, form: FeedFormat = CSV) -> None:
        self._con = con
        self._sql = f"COPY ({select_sql}) TO {quote(str(path))} ({form.duckdb_options}, USE_TMP_FILE false)"
        self.path = path
        self._error: BaseException | None = None
        self._writer = threading.Thread(target=self._write, name="recoup-csv-feed", daemon=True)

    def __enter__(self) -> CsvFeed:
        self._writer.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._writer.is_alive():  # the reader gave up: stop DuckDB rather than wait for it
            self._con.interrupt()
        self._writer.join()

    def _write(self) -> None:
        try:
            self._con.execute(self._sql)
        except BaseException as error:  # handed to the reader, who raises it
            self._error = error

    def blocks(self) -> Iterator[bytes]:
        """The file's bytes, as DuckDB writes them, to its end; DuckDB's error, if it failed, at the end."""
        while not self.path.exists() and self._writer.is_alive():
            time.sleep(CAUGHT_UP_PAUSE_SECONDS)
        if self.path.exists():
            with self.path.open("rb") as handle:
                while True:
                    finished = not self._writer.is_alive()  # checked before reading: then EOF is the end
                    block = handle.read(BLOCK)
                    if not finished:
                        block = _written_part(handle, block)
                    if block:
                        yield block
                    elif finished:
                        break
                    else:
                        time.sleep(CAUGHT_UP_PAUSE_SECONDS)
        self._raise_writer_error()

    def whole_file(self) -> Path:
        """The complete file, once DuckDB has finished it."""
        self._writer.join()
        self._raise_writer_error()
        return self.path

    def _raise_writer_error(self) -> None:
        self._writer.join()
        if self._error is not None:
            raise self._error


def _written_part(handle: BinaryIO, block: bytes) -> bytes:
    """`block` up to its first zero byte (a hole DuckDB has not written yet); the file is read from there next."""
    hole = block.find(b"\0")
    if hole < 0:
        return block
    handle.seek(hole - len(block), os.SEEK_CUR)
    return block[:hole]
