"""The one CSV reader of Recoup: the five SPEC section 3 kinds into typed DuckDB relations.

`load_csv` reads a file with DuckDB (every column as text), normalises and validates it in SQL and
leaves a relation named `table`: `line_no`, the normalised columns of the kind (amounts as BIGINT
minor units, times as UTC TIMESTAMP plus the merchant-local `local_date`, cards as `card_masked` +
`card_token`), the unknown columns kept aside as `extra_<position>` and `load_error`. A full PAN
never leaves the load query. A file spelled canonically loads in one cheap strict read; any other
goes through the lenient reads (csv_passes). Every bad row is reported with its line, column and
reason; by default a file with any bad row raises InvalidInput and loads nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from recoup.errors import InvalidInput
from recoup.scratch import scratch_folder
from recoup.transactions import csv_passes
from recoup.transactions import encoding as enc
from recoup.transactions.csv_passes import Pass, Source, Target
from recoup.transactions.csv_sql import LoadQuery, check_columns, enum_types_sql, read_header, zones_sql
from recoup.transactions.duck import scalar
from recoup.transactions.rejects import Reject, duplicate_key_rejects, validation_rejects
from recoup.transactions.schema import KINDS

DEFAULT_TIMEZONE = "Asia/Shanghai"
MAX_REJECTS_KEPT = 1000
REJECTS_SHOWN = 10


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


def _collect_rejects(con: duckdb.DuckDBPyConnection, query: LoadQuery, target: Target,
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


def _warnings(con: duckdb.DuckDBPyConnection, query: LoadQuery, relation: str, file_name: str,
              ignored: list[str]) -> list[str]:
    found = []
    if query.extras:
        found.append(f"{file_name}: unknown column(s) kept aside: "
                     + ", ".join(f"{name} (as {column})" for name, column in query.extras.items()))
    if ignored:
        found.append(f"{file_name}: unknown column(s) ignored: {', '.join(ignored)}")
    outputs = query.outputs()
    if {"fee_minor", "net_minor", "amount_minor"} <= outputs.keys() and query.header.position("fee") is not None \
            and query.header.position("net_amount") is not None:
        differing = scalar(con, f"SELECT count(*) FROM {relation} WHERE load_error IS NULL "
                                "AND net_minor <> amount_minor - fee_minor")
        if differing:
            found.append(f"{file_name}: {differing} line(s) where net_amount is not amount - fee")
    return found


def rejects_message(file_name: str, rejects: list[Reject], count: int) -> str:
    shown = "\n".join(f"  {reject}" for reject in rejects[:REJECTS_SHOWN])
    more = f"\n  ... and {count - REJECTS_SHOWN} more" if count > REJECTS_SHOWN else ""
    return f"{file_name}: {count} bad value(s), nothing loaded:\n{shown}{more}"


def _query(kind: str, path: Path, head: bytes, encoding: str, *, card_key: bytes | None,
           timezones: Mapping[str, str], default_timezone: str, columns: Collection[str] | None,
           keep_extra: bool, keep_personal: bool, run_tokens: bool = False,
           enum_codes: bool = False) -> tuple[LoadQuery, list[str]]:
    csv_kind = KINDS[kind]
    header = read_header(head, encoding, path.name)
    check_columns(csv_kind, header, path.name)
    known = {f.name for f in csv_kind.fields}
    unknown = [(position, name) for position, name in enumerate(header.names) if name not in known]
    extras = {name: f"extra_{position}" for position, name in unknown} if keep_extra else {}
    ignored = [] if keep_extra else [name for _, name in unknown]
    fields = tuple(f for f in csv_kind.fields if keep_personal or not f.personal)
    zones = zones_sql(timezones if csv_kind.local_times else {}, default_timezone)
    return LoadQuery(csv_kind, header, fields, extras, zones, card_key, columns, run_tokens, enum_codes), ignored


def load_csv(con: duckdb.DuckDBPyConnection, kind: str, path: Path, *, table: str | None = None,
             card_key: bytes | None = None, timezones: Mapping[str, str] | None = None,
             default_timezone: str = DEFAULT_TIMEZONE, columns: Collection[str] | None = None,
             keep_extra: bool = True, keep_personal: bool = False, line_numbers: bool = True,
             raise_on_reject: bool = True, run_tokens: bool = False, enum_codes: bool = False) -> LoadResult:
    """Load one CSV file of `kind` (merchants, terminals, orders, journal, settlement) as relation `table`.

    `timezones` maps merchant_id to its IANA zone (others get `default_timezone`); `card_key` tokens
    full card numbers (a file holding one without a key is refused); `columns` limits the normalised
    columns kept (every column is still validated). With `line_numbers`, `line_no` is the file line;
    without, it only identifies the row and loading is faster (bad rows are still reported by line).
    With `raise_on_reject`, any bad row raises InvalidInput listing the first rejects, leaving nothing.
    With `run_tokens`, card tokens are a cheaper keyed hash and masked cards a hash of the masked form,
    both only comparing cards within this run (for data that is never stored); otherwise they are
    `cards.card_token` and the masked text. With `enum_codes`, currency,
    txn_type and status are small ENUM types (csv_sql.ENUM_TYPES) instead of text.
    """
    head = enc.read_head(path)
    if not head.strip():
        raise InvalidInput(f"{path.name}: empty file (no header row)")
    encoding = enc.sniff_encoding(head, path.name)
    query, ignored = _query(kind, path, head, encoding, card_key=card_key, timezones=timezones or {},
                            default_timezone=default_timezone, columns=columns, keep_extra=keep_extra,
                            keep_personal=keep_personal, run_tokens=run_tokens, enum_codes=enum_codes)
    if enum_codes:
        for statement in enum_types_sql():
            con.execute(statement)
    relation = table or kind
    target = Target(f"{relation}__rows", path.name)
    rejects: list[Reject] = []
    reject_count = 0
    with scratch_folder("load") as scratch:
        source = Source(path, encoding, Path(scratch))
        strict = csv_passes.strict_pass(con, query, target, source, ordered=line_numbers)
        if not strict:
            structural = csv_passes.load_text(con, query, target, source, Pass(line_numbers, reasons=False))
            if csv_passes.has_rejects(con, query, target, structural):  # again, in file order, with reasons
                structural = csv_passes.load_text(con, query, target, source, Pass(ordered=True, reasons=True))
                rejects, reject_count = _collect_rejects(con, query, target, structural)
                if raise_on_reject:
                    target.drop(con)
                    raise InvalidInput(rejects_message(path.name, rejects, reject_count), detail=rejects)
        encoding = source.encoding
    no_error = ", CAST(NULL AS VARCHAR) AS load_error" if strict else ""  # the strict read keeps good rows only
    con.execute(f"CREATE OR REPLACE VIEW {relation} AS SELECT rowid + 2 AS line_no, *{no_error} "
                f"FROM {target.rows_table}")
    warnings = _warnings(con, query, relation, path.name, ignored)
    rows = int(scalar(con, f"SELECT count(*) FROM {target.rows_table}"))
    return LoadResult(kind, relation, rows, encoding, rejects, reject_count, warnings, query.extras)
