"""The DuckDB side of an import: load a file through the input layer, apply the importer's scope, and
leave a relation of the rows to store next to the list of every rejected line.

Rows of a merchant the importer may not write are rejected (or, when the import is limited to the
importer's own tenant, left out and counted). Line numbers are the file's: the input layer's view
counts rows, so lines it could not split are added back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from recoup.errors import InvalidInput
from recoup.transactions.csv_input import LoadResult, load_csv
from recoup.transactions.csv_sql import PANS_MASKED
from recoup.transactions.duck import row
from recoup.transactions.fields_sql import ERROR_SEPARATOR, quote
from recoup.transactions.rejects import Reject, line_of_row

SOURCE = "src"
GOOD = "good_rows"
CHECKED = "checked_rows"
MAX_KEPT = 1000
_STRUCTURAL = re.compile(
    r"^(\d+ fields where the header has \d+|a quote inside an unquoted value|the line is too long|"
    r"bytes that are not UTF-8 text|malformed quoting|malformed CSV line)$")
# Kinds whose rows repeat a key within one file: the first wins, the others are rejected.
# The time of a row more than a day ahead of the clock is a keying or clock error, not a transaction.
TIME_COLUMNS = {"journal": "txn_time", "settlement": "txn_time", "orders": "created_at"}
FUTURE_REASON = "in the future (more than a day ahead of now)"
KEYS: dict[str, tuple[str, ...]] = {"orders": ("merchant_id", "order_no"), "merchants": ("merchant_id",),
                                    "terminals": ("terminal_id",)}


@dataclass(frozen=True)
class Scope:
    """What an import may write: merchants (id -> time zone), and which rows are merely left out."""

    merchants: Mapping[str, str]
    default_timezone: str
    leave_out_others: bool = False  # --tenant: rows of other merchants are left out, not rejected
    checked: bool = True  # registry kinds check their rows themselves


@dataclass(frozen=True)
class Names:
    """The DuckDB relations of one staging: the loaded rows, the rows with their checks, the rows to store."""

    source: str = SOURCE
    checked: str = CHECKED
    good: str = GOOD

    @classmethod
    def piece(cls, index: int) -> Names:
        """The relations of piece `index` of a file staged piece by piece (`pieces`)."""
        return cls(f"{SOURCE}_{index}", f"{CHECKED}_{index}", f"{GOOD}_{index}")


@dataclass
class Staged:
    load: LoadResult
    rows_in_file: int
    structural_lines: list[int]
    rejects: list[Reject] = field(default_factory=list)  # the first MAX_KEPT, by line
    rejected_lines: int = 0
    left_out: int = 0
    good_rows: int = 0
    pans_masked: int = 0  # values of the rows to store in which a card number was masked (pan_guard)


class NotInPieces(Exception):
    """The file cannot be cut into pieces at line ends (a quoted value holds a line break)."""


def pieces(path: Path, folder: Path, piece_bytes: int, first_bytes: int | None = None,
           growth: float = 1.0) -> Iterator[Path]:
    """The file cut at line ends into pieces of about `piece_bytes` (the first of `first_bytes`, each next
    one `growth` times the one before, up to `piece_bytes`), each a file of its own (of the file's name, in
    a folder of its own) that starts with the file's header line; written one by one, as asked for.
    NotInPieces when a cut would fall inside a quoted value (an odd count of quotes before it)."""
    with path.open("rb") as source:
        header = source.readline()
        if header.count(b'"') % 2:
            raise NotInPieces(path.name)
        carry, index = b"", 0
        while block := source.read(_piece_size(index, piece_bytes, first_bytes, growth)):
            text = carry + block
            cut = text.rfind(b"\n") + 1
            if cut == 0:
                carry = text
                continue
            yield _piece(folder, index, path.name, header, text[:cut])
            carry, index = text[cut:], index + 1
        if carry.strip():
            yield _piece(folder, index, path.name, header, carry)


def _piece_size(index: int, piece_bytes: int, first_bytes: int | None, growth: float) -> int:
    if not first_bytes:
        return piece_bytes
    return min(piece_bytes, int(first_bytes * growth ** min(index, 64)))


def _piece(folder: Path, index: int, name: str, header: bytes, lines: bytes) -> Path:
    if lines.count(b'"') % 2:
        raise NotInPieces(name)
    target = folder / str(index) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        out.write(header)
        out.write(lines)
    return target


def structural_lines(load: LoadResult) -> list[int]:
    """Lines the input layer could not split into fields (not in its relation at all)."""
    return sorted({reject.line for reject in load.rejects if _STRUCTURAL.match(reject.reason)})


def _data_lines(path: Path) -> int:
    """Non-empty lines after the header, counted in one streaming pass."""
    count = 0
    with path.open("rb") as handle:
        next(handle, None)
        for line in handle:
            if line.strip():
                count += 1
    return count


def _scope_table(con: duckdb.DuckDBPyConnection, scope: Scope) -> None:
    """The importer's merchants as a table, in one statement (an INSERT per merchant took 6-9 ms a piece)."""
    con.execute("CREATE OR REPLACE TABLE scope_merchants AS SELECT unnest(CAST(? AS VARCHAR[])) AS merchant_id",
                [sorted(scope.merchants)])


def _outside_scope(scope: Scope) -> str:
    if not scope.checked:
        return "false"
    return "merchant_id NOT IN (SELECT merchant_id FROM scope_merchants)"


def _future(kind: str) -> str:
    column = TIME_COLUMNS.get(kind)
    if column is None:
        return "false"
    return f"coalesce({column} > CAST(current_timestamp AS TIMESTAMP) + INTERVAL 1 DAY, false)"


def _repeat_rank(kind: str) -> str:
    key = KEYS.get(kind)
    if not key:
        return "1"
    return f"row_number() OVER (PARTITION BY load_error IS NULL, {', '.join(key)} ORDER BY line_no)"


def stage_csv(con: duckdb.DuckDBPyConnection, kind: str, path: Path, scope: Scope, card_key: bytes,
              *, display_name: str | None = None, names: Names = Names()) -> Staged:
    """Load `path` as `kind`, check every row, and leave the rows to store in relation `names.good`."""
    load = load_csv(con, kind, path, table=names.source, card_key=card_key, timezones=scope.merchants,
                    default_timezone=scope.default_timezone, keep_personal=kind == "orders",
                    raise_on_reject=False)
    name = display_name or path.name
    skipped = structural_lines(load)
    rows_in_file = load.rows + len(skipped)
    if skipped and rows_in_file < _data_lines(path):
        raise InvalidInput(f"{name}: line {skipped[0]}: broken quoting; the lines after it cannot be read, "
                           "so nothing was imported. Fix the quotes and import the file again.",
                           detail=[_as_dict(r) for r in load.rejects[:MAX_KEPT]])
    _scope_table(con, scope)
    checked = names.checked
    con.execute(f"CREATE OR REPLACE VIEW {checked} AS SELECT *, {_repeat_rank(kind)} AS repeat_rank, "
                f"({_outside_scope(scope)}) AS outside, {_future(kind)} AS future FROM {names.source}")
    con.execute(f"CREATE OR REPLACE VIEW {names.good} AS SELECT * FROM {checked} WHERE {_GOOD_ROW}")
    staged = Staged(load, rows_in_file, skipped)
    outside, future, bad_rows, staged.good_rows, staged.pans_masked = _counts(con, checked)
    if scope.leave_out_others:
        staged.left_out = outside
    scope_rejects = [] if scope.leave_out_others or not outside else _scope_rejects(con, checked, skipped, name)
    future_rejects = _future_rejects(con, checked, kind, skipped) if future else []
    staged.rejects = sorted(load.rejects + scope_rejects + future_rejects)[:MAX_KEPT]
    staged.rejected_lines = len(skipped) + bad_rows + (0 if scope.leave_out_others else outside)
    return staged


_GOOD_ROW = "load_error IS NULL AND repeat_rank = 1 AND NOT future AND NOT outside"


def _counts(con: duckdb.DuckDBPyConnection, checked: str) -> tuple[int, int, int, int, int]:
    """Rows outside the scope, in the future, bad (a bad value, a repeat, the future), good, and the card
    numbers masked in the good ones: one pass over the checked rows, not five (each re-ranked the rows)."""
    outside, future, bad, good, masked = (int(value) for value in row(con, (
        "SELECT count(*) FILTER (WHERE load_error IS NULL AND outside), "
        "count(*) FILTER (WHERE load_error IS NULL AND future), "
        "count(*) FILTER (WHERE load_error IS NOT NULL OR repeat_rank > 1 OR (future AND load_error IS NULL)), "
        f"count(*) FILTER (WHERE {_GOOD_ROW}), coalesce(sum({PANS_MASKED}) FILTER (WHERE {_GOOD_ROW}), 0) "
        f"FROM {checked}")))
    return outside, future, bad, good, masked


def _future_rejects(con: duckdb.DuckDBPyConnection, checked: str, kind: str, skipped: list[int]) -> list[Reject]:
    rows = con.execute(f"SELECT line_no - 2 FROM {checked} WHERE load_error IS NULL AND future "
                       f"ORDER BY line_no LIMIT {MAX_KEPT}").fetchall()
    return [Reject(line_of_row(int(index), skipped), TIME_COLUMNS[kind], FUTURE_REASON) for (index,) in rows]


def _scope_rejects(con: duckdb.DuckDBPyConnection, checked: str, skipped: list[int], name: str) -> list[Reject]:
    rows = con.execute(f"SELECT line_no - 2, merchant_id FROM {checked} WHERE load_error IS NULL AND outside "
                       f"ORDER BY line_no LIMIT {MAX_KEPT}").fetchall()
    return [Reject(line_of_row(int(index), skipped), "merchant_id", _not_yours(merchant_id, name))
            for index, merchant_id in rows]


def _not_yours(merchant_id: str, name: str) -> str:  # noqa: ARG001 - the file is named by the caller
    return (f"merchant {merchant_id} is not one of the merchants you may import for "
            "(not registered in your tenant: import the merchants file first, or --tenant to leave it out)")


def _as_dict(reject: Reject) -> dict[str, object]:
    return {"line": reject.line, "column": reject.column, "reason": reject.reason}


def every_rejected_line(con: duckdb.DuckDBPyConnection, staged: Staged, *, check_scope: bool = True,
                        ) -> Iterator[tuple[int, str]]:
    """(line, reasons) of every rejected line, in file order, however many there are."""
    structural: dict[int, list[str]] = {}
    for reject in staged.load.rejects:
        if reject.line in staged.structural_lines:
            structural.setdefault(reject.line, []).append(f"{reject.column}: {reject.reason}")
    outside = "outside" if check_scope else "false"
    cursor = con.execute(
        f"SELECT line_no - 2, load_error, repeat_rank > 1, future, outside, merchant_id FROM {CHECKED} "
        f"WHERE load_error IS NOT NULL OR repeat_rank > 1 OR future OR {outside} ORDER BY line_no")
    pending = sorted(structural.items())
    while batch := cursor.fetchmany(10_000):
        for index, load_error, repeated, future, out, merchant_id in batch:
            line = line_of_row(int(index), staged.structural_lines)
            while pending and pending[0][0] < line:
                found, reasons = pending.pop(0)
                yield found, "; ".join(reasons)
            yield line, _reasons(load_error, repeated, future, out, merchant_id)
    for found, reasons in pending:
        yield found, "; ".join(reasons)


def _reasons(load_error: str | None, repeated: bool, future: bool, outside: bool, merchant_id: str | None) -> str:
    if load_error:
        return "; ".join(load_error.split(ERROR_SEPARATOR))
    if repeated:
        return "repeats the key of an earlier line"
    if future:
        return f"time: {FUTURE_REASON}"
    if outside:
        return f"merchant_id: {_not_yours(str(merchant_id), '')}"
    return "rejected"


def extra_json_sql(load: LoadResult, skip: frozenset[str] = frozenset()) -> str:
    """The unknown columns of a row as a JSON object text, or NULL when the file had none."""
    pairs = [f"{quote(name)}, {column}" for name, column in sorted(load.extra_columns.items()) if name not in skip]
    if not pairs:
        return "CAST(NULL AS VARCHAR)"
    return f"CAST(json_object({', '.join(pairs)}) AS VARCHAR)"
