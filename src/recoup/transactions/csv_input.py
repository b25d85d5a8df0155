"""The one CSV reader of Recoup: the five SPEC section 3 kinds into typed DuckDB relations.

`load_csv` reads a file once with DuckDB (every column as text), normalises and validates it in SQL
and leaves a relation named `table`: `line_no`, the normalised columns of the kind (amounts as
BIGINT minor units, times as UTC TIMESTAMP plus the merchant-local `local_date`, cards as
`card_masked` + `card_token`) and the unknown columns kept aside as `extra_<position>`. A full PAN
never leaves the load query. Every bad row is reported with its line, column and reason; by default
a file with any bad row raises InvalidInput and loads nothing.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from recoup.errors import InvalidInput
from recoup.transactions import encoding as enc
from recoup.transactions.csv_sql import LoadQuery, check_columns, read_csv_sql, read_header, zones_sql
from recoup.transactions.duck import scalar
from recoup.transactions.rejects import (
    Reject,
    duplicate_key_rejects,
    structural_rejects,
    validation_rejects,
)
from recoup.transactions.schema import KINDS

DEFAULT_TIMEZONE = "Asia/Shanghai"
MAX_REJECTS_KEPT = 1000
REJECTS_SHOWN = 10
_LONG_DIGITS = re.compile(r"\d{12,}")


@dataclass
class LoadResult:
    kind: str
    table: str  # the relation: line_no + normalised columns (+ extra_<position>)
    rows: int
    encoding: str
    rejects: list[Reject] = field(default_factory=list)  # the first MAX_REJECTS_KEPT, by line
    reject_count: int = 0
    warnings: list[str] = field(default_factory=list)
    extra_columns: dict[str, str] = field(default_factory=dict)  # header name -> column in `table`


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
class _Target:
    rows_table: str
    file_name: str

    @property
    def rejects_table(self) -> str:
        return f"{self.rows_table}_rejects"

    def drop(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"DROP TABLE IF EXISTS {self.rows_table}")


@dataclass(frozen=True)
class _Pass:
    ordered: bool  # rows in file order (rowid = data line)
    reasons: bool  # load_error says why, not just 'bad'


def _materialise(con: duckdb.DuckDBPyConnection, query: LoadQuery, target: _Target, path: Path,
                 how: _Pass) -> list[tuple[Reject, str]]:
    """One read of the file."""
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


def _load_text(con: duckdb.DuckDBPyConnection, query: LoadQuery, target: _Target, path: Path, encoding: str,
               how: _Pass) -> tuple[str, list[tuple[Reject, str]]]:
    """Load the file, transcoding GB18030 first; a UTF-8 guess proven wrong falls back to GB18030."""
    with tempfile.TemporaryDirectory(prefix="recoup-load-") as scratch:
        utf8_copy = Path(scratch) / "utf8.csv"
        if encoding == enc.GB18030:
            enc.transcode_to_utf8(path, utf8_copy)
            return encoding, _materialise(con, query, target, utf8_copy, how)
        structural = _materialise(con, query, target, path, how)
        if encoding == enc.UTF8 and any(kind == "INVALID ENCODING" for _, kind in structural):
            enc.transcode_to_utf8(path, utf8_copy)
            return enc.GB18030, _materialise(con, query, target, utf8_copy, how)
        return encoding, structural


def _has_rejects(con: duckdb.DuckDBPyConnection, query: LoadQuery, target: _Target,
                 structural: list[tuple[Reject, str]]) -> bool:
    if structural or scalar(con, f"SELECT count(*) FROM {target.rows_table} WHERE load_error IS NOT NULL"):
        return True
    if not query.kind.key:
        return False
    # Grouping 64-bit hashes is far cheaper than grouping the text keys; only a repeated hash
    # (a repeated key, or a rare collision) is checked on the keys themselves.
    key = ", ".join(query.kind.key)
    hashed = (f"SELECT hash({key}) AS key_hash FROM {target.rows_table} GROUP BY key_hash HAVING count(*) > 1")
    if not scalar(con, f"SELECT count(*) FROM ({hashed}) repeated"):
        return False
    return bool(scalar(con, f"SELECT count(*) FROM (SELECT {key} FROM {target.rows_table} "
                            f"WHERE hash({key}) IN ({hashed}) GROUP BY {key} HAVING count(*) > 1) repeated"))


def _collect_rejects(con: duckdb.DuckDBPyConnection, query: LoadQuery, target: _Target,
                     structural: list[tuple[Reject, str]]) -> tuple[list[Reject], int]:
    skipped = sorted(reject.line for reject, _ in structural)
    values, value_count = validation_rejects(con, target.rows_table, skipped, MAX_REJECTS_KEPT)
    repeats: list[Reject] = []
    repeat_count = 0
    if query.kind.key:
        repeats, repeat_count = duplicate_key_rejects(con, target.rows_table, query.kind.key, skipped,
                                                      MAX_REJECTS_KEPT)
    every = sorted([reject for reject, _ in structural] + values + repeats)
    return every[:MAX_REJECTS_KEPT], len(structural) + value_count + repeat_count


def _warnings(con: duckdb.DuckDBPyConnection, query: LoadQuery, target: _Target, ignored: list[str]) -> list[str]:
    found = []
    if query.extras:
        found.append(f"{target.file_name}: unknown column(s) kept aside: "
                     + ", ".join(f"{name} (as {column})" for name, column in query.extras.items()))
    if ignored:
        found.append(f"{target.file_name}: unknown column(s) ignored: {', '.join(ignored)}")
    outputs = query.outputs()
    if {"fee_minor", "net_minor", "amount_minor"} <= outputs.keys() and query.header.position("fee") is not None \
            and query.header.position("net_amount") is not None:
        differing = scalar(con, f"SELECT count(*) FROM {target.rows_table} WHERE load_error IS NULL "
                                "AND net_minor <> amount_minor - fee_minor")
        if differing:
            found.append(f"{target.file_name}: {differing} line(s) where net_amount is not amount - fee")
    return found


def rejects_message(file_name: str, rejects: list[Reject], count: int) -> str:
    shown = "\n".join(f"  {reject}" for reject in rejects[:REJECTS_SHOWN])
    more = f"\n  ... and {count - REJECTS_SHOWN} more" if count > REJECTS_SHOWN else ""
    return f"{file_name}: {count} bad value(s), nothing loaded:\n{shown}{more}"


def _query(kind: str, path: Path, head: bytes, encoding: str, *, card_key: bytes | None,
           timezones: Mapping[str, str], default_timezone: str, columns: Collection[str] | None,
           keep_extra: bool, keep_personal: bool, run_tokens: bool = False) -> tuple[LoadQuery, list[str]]:
    csv_kind = KINDS[kind]
    header = read_header(head, encoding, path.name)
    check_columns(csv_kind, header, path.name)
    known = {f.name for f in csv_kind.fields}
    unknown = [(position, name) for position, name in enumerate(header.names) if name not in known]
    extras = {name: f"extra_{position}" for position, name in unknown} if keep_extra else {}
    ignored = [] if keep_extra else [name for _, name in unknown]
    fields = tuple(f for f in csv_kind.fields if keep_personal or not f.personal)
    zones = zones_sql(timezones if csv_kind.local_times else {}, default_timezone)
    return LoadQuery(csv_kind, header, fields, extras, zones, card_key, columns, run_tokens), ignored


def load_csv(con: duckdb.DuckDBPyConnection, kind: str, path: Path, *, table: str | None = None,
             card_key: bytes | None = None, timezones: Mapping[str, str] | None = None,
             default_timezone: str = DEFAULT_TIMEZONE, columns: Collection[str] | None = None,
             keep_extra: bool = True, keep_personal: bool = False, line_numbers: bool = True,
             raise_on_reject: bool = True, run_tokens: bool = False) -> LoadResult:
    """Load one CSV file of `kind` (merchants, terminals, orders, journal, settlement) as relation `table`.

    `timezones` maps merchant_id to its IANA zone (others get `default_timezone`); `card_key` tokens
    full card numbers (a file holding one without a key is refused); `columns` limits the normalised
    columns kept (every column is still validated). With `line_numbers`, `line_no` is the file line;
    without, it only identifies the row and loading is faster (bad rows are still reported by line).
    With `raise_on_reject`, any bad row raises InvalidInput listing the first rejects, leaving nothing.
    With `run_tokens`, card tokens are a cheaper keyed hash that only compares cards within this run
    (for data that is never stored); otherwise they are `cards.card_token`.
    """
    head = enc.read_head(path)
    if not head.strip():
        raise InvalidInput(f"{path.name}: empty file (no header row)")
    encoding = enc.sniff_encoding(head, path.name)
    query, ignored = _query(kind, path, head, encoding, card_key=card_key, timezones=timezones or {},
                            default_timezone=default_timezone, columns=columns, keep_extra=keep_extra,
                            keep_personal=keep_personal, run_tokens=run_tokens)
    relation = table or kind
    target = _Target(f"{relation}__rows", path.name)
    encoding, structural = _load_text(con, query, target, path, encoding, _Pass(line_numbers, reasons=False))
    rejects: list[Reject] = []
    reject_count = 0
    if _has_rejects(con, query, target, structural):  # read again, in file order, for lines and reasons
        encoding, structural = _load_text(con, query, target, path, encoding, _Pass(ordered=True, reasons=True))
        rejects, reject_count = _collect_rejects(con, query, target, structural)
        if raise_on_reject:
            target.drop(con)
            raise InvalidInput(rejects_message(path.name, rejects, reject_count), detail=rejects)
    warnings = _warnings(con, query, target, ignored)
    con.execute(f"CREATE OR REPLACE VIEW {relation} AS SELECT rowid + 2 AS line_no, * FROM {target.rows_table}")
    rows = int(scalar(con, f"SELECT count(*) FROM {target.rows_table}"))
    return LoadResult(kind, relation, rows, encoding, rejects, reject_count, warnings, query.extras)
