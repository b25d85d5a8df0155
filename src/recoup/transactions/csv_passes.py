"""The reads of one CSV file behind `load_csv`: a cheap strict read, and the lenient text reads.

The strict read (fields_sql `strict`) takes a file whose values are all spelled canonically, as
nearly every machine-written file is, in one pass: raw text, no trimming, no reasons, and no
`load_error` column (a doubtful row stops it at once). Anything else falls back to the lenient
reads: every column as trimmed text, normalised and validated in SQL, a second read in file order
with reasons when a row is bad.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from recoup.errors import InvalidInput
from recoup.transactions import encoding as enc
from recoup.transactions.csv_sql import LoadQuery, read_csv_sql
from recoup.transactions.duck import scalar
from recoup.transactions.rejects import Reject, structural_rejects

_LONG_DIGITS = re.compile(r"\d{12,}")


def _safe_error(error: duckdb.Error) -> str:
    """The first line of a DuckDB error, unless it might quote a card number."""
    first = str(error).splitlines()[0] if str(error) else type(error).__name__
    return "unreadable CSV" if _LONG_DIGITS.search(first) else first


@contextmanager
def _insertion_order(con: duckdb.DuckDBPyConnection, preserve: bool) -> Iterator[None]:
    """Keep file order (rowid = data line) only when line numbers are wanted: it costs time."""
    before = scalar(con, "SELECT current_setting('preserve_insertion_order')")
    con.execute(f"SET preserve_insertion_order = {'true' if preserve else 'false'}")
    try:
        yield
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if before else 'false'}")


@dataclass(frozen=True)
class Target:
    rows_table: str
    file_name: str

    @property
    def rejects_table(self) -> str:
        return f"{self.rows_table}_rejects"

    def drop(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"DROP TABLE IF EXISTS {self.rows_table}")


@dataclass(frozen=True)
class Pass:
    ordered: bool  # rows in file order (rowid = data line)
    reasons: bool  # load_error says why, not just 'bad'


class Source:
    """The file as DuckDB reads it: the file itself, or a UTF-8 copy of a GB18030 file (made once)."""

    def __init__(self, path: Path, encoding: str, scratch: Path) -> None:
        self.path = path
        self.encoding = encoding
        self._copy = scratch / "utf8.csv"

    @property
    def readable(self) -> Path:
        if self.encoding != enc.GB18030:
            return self.path
        if not self._copy.exists():
            enc.transcode_to_utf8(self.path, self._copy)
        return self._copy


def _materialise(con: duckdb.DuckDBPyConnection, query: LoadQuery, target: Target, path: Path,
                 how: Pass) -> list[tuple[Reject, str]]:
    """One lenient read of the file."""
    target.drop(con)
    source = read_csv_sql(path, len(query.header.names), target.rejects_table)
    try:
        with _insertion_order(con, how.ordered):
            con.execute(f"CREATE TABLE {target.rows_table} AS {query.sql(source, reasons=how.reasons)}")
        header = {f"c{i}": name for i, name in enumerate(query.header.names)}
        return structural_rejects(con, target.rejects_table, header)
    except duckdb.Error as error:
        target.drop(con)
        raise InvalidInput(f"{target.file_name}: cannot be read as CSV ({_safe_error(error)})") from None
    finally:
        con.execute(f"DROP TABLE IF EXISTS {target.rejects_table}")
        con.execute(f"DROP TABLE IF EXISTS {target.rejects_table}_scan")


def load_text(con: duckdb.DuckDBPyConnection, query: LoadQuery, target: Target, source: Source,
              how: Pass) -> list[tuple[Reject, str]]:
    """Load the file as text; a UTF-8 guess proven wrong falls back to GB18030 (source.encoding says so)."""
    structural = _materialise(con, query, target, source.readable, how)
    if source.encoding == enc.UTF8 and any(kind == "INVALID ENCODING" for _, kind in structural):
        source.encoding = enc.GB18030
        return _materialise(con, query, target, source.readable, how)
    return structural


def repeated_key(con: duckdb.DuckDBPyConnection, query: LoadQuery, table: str, where: str = "true") -> bool:
    """Whether two rows (of those `where` picks) share the kind's key."""
    if not query.kind.key:
        return False
    # Grouping 64-bit hashes is far cheaper than grouping the text keys; only a repeated hash
    # (a repeated key, or a rare collision) is checked on the keys themselves.
    key = ", ".join(query.kind.key)
    hashed = f"SELECT hash({key}) AS key_hash FROM {table} WHERE {where} GROUP BY key_hash HAVING count(*) > 1"
    if not scalar(con, f"SELECT count(*) FROM ({hashed}) repeated"):
        return False
    return bool(scalar(con, f"SELECT count(*) FROM (SELECT {key} FROM {table} WHERE {where} "
                            f"AND hash({key}) IN ({hashed}) GROUP BY {key} HAVING count(*) > 1) repeated"))


def has_rejects(con: duckdb.DuckDBPyConnection, query: LoadQuery, target: Target,
                structural: list[tuple[Reject, str]]) -> bool:
    """After a lenient read: any malformed line, bad value or repeated key."""
    if structural or scalar(con, f"SELECT count(*) FROM {target.rows_table} WHERE load_error IS NOT NULL"):
        return True
    return repeated_key(con, query, target.rows_table)


def strict_pass(con: duckdb.DuckDBPyConnection, query: LoadQuery, target: Target, source: Source, *,
                ordered: bool) -> bool:
    """The cheap first read, canonical values only, leaving the rows without a load_error column. False,
    leaving nothing, when the file holds anything else: a malformed line, a byte that is not UTF-8, a
    doubtful value, a repeated key."""
    target.drop(con)
    read = read_csv_sql(source.readable, len(query.header.names), rejects_table=None)
    try:
        with _insertion_order(con, ordered):
            con.execute(f"CREATE TABLE {target.rows_table} AS {query.sql(read, reasons=False, strict=True)}")
    except duckdb.Error:
        target.drop(con)
        return False
    if repeated_key(con, query, target.rows_table):
        target.drop(con)
        return False
    return True
