"""Rejected rows of a CSV load: where they are and why, in words a user can act on."""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from recoup.transactions.duck import scalar
from recoup.transactions.fields_sql import ERROR_SEPARATOR

HEADER_LINES = 1
ROW_WIDE = "*"  # the column of a reject that concerns the whole row
_FIELD_COUNTS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
_STRUCTURAL_REASONS = {
    "UNQUOTED VALUE": "a quote inside an unquoted value",
    "LINE SIZE OVER MAXIMUM": "the line is too long",
    "INVALID ENCODING": "bytes that are not UTF-8 text",
    "INVALID STATE": "malformed quoting",
}


@dataclass(frozen=True, order=True)
class Reject:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.reason}"


def _structural_reason(error_type: str, message: str) -> str:
    counts = _FIELD_COUNTS.search(message or "")
    if error_type in ("TOO MANY COLUMNS", "MISSING COLUMNS") and counts:
        return f"{counts.group(2)} fields where the header has {counts.group(1)}"
    return _STRUCTURAL_REASONS.get(error_type, "malformed CSV line")


def structural_rejects(con: duckdb.DuckDBPyConnection, rejects_table: str,
                       header: dict[str, str]) -> list[tuple[Reject, str]]:
    """Lines DuckDB could not split into fields, with their error type. `header` maps c<i> to names."""
    rows = con.execute(f"SELECT line, column_name, CAST(error_type AS VARCHAR), error_message "
                       f"FROM {rejects_table} ORDER BY line, column_idx").fetchall()
    found: list[tuple[Reject, str]] = []
    short_lines: set[int] = set()
    for line, column, error_type, message in rows:
        if error_type == "MISSING COLUMNS":  # DuckDB names every missing column: the first one says it
            if line in short_lines:
                continue
            short_lines.add(line)
        name = header.get(column or "", ROW_WIDE) if error_type != "TOO MANY COLUMNS" else ROW_WIDE
        found.append((Reject(int(line), name, _structural_reason(error_type, message)), error_type))
    return found


def line_of_row(row_index: int, skipped_lines: list[int]) -> int:
    """The file line of the n-th loaded data row (0-based), knowing the lines skipped as malformed."""
    line = HEADER_LINES + 1 + row_index
    for skipped in skipped_lines:  # ascending
        if skipped <= line:
            line += 1
    return line


def split_errors(line: int, load_error: str) -> list[Reject]:
    """`load_error` holds 'column: reason' parts separated by ERROR_SEPARATOR."""
    rejects = []
    for part in load_error.split(ERROR_SEPARATOR):
        column, _, reason = part.partition(": ")
        rejects.append(Reject(line, column, reason))
    return rejects


def validation_rejects(con: duckdb.DuckDBPyConnection, table: str, skipped_lines: list[int],
                       limit: int) -> tuple[list[Reject], int]:
    """Rows whose values are bad (first `limit` of them) and how many bad values in all."""
    separator = f"chr({ord(ERROR_SEPARATOR)})"
    parts = f"length(load_error) - length(replace(load_error, {separator}, '')) + 1"
    total = scalar(con, f"SELECT coalesce(sum({parts}), 0) FROM {table} WHERE load_error IS NOT NULL")
    if not total:
        return [], 0
    rows = con.execute(f"SELECT rowid, load_error FROM {table} WHERE load_error IS NOT NULL "
                       f"ORDER BY rowid LIMIT {limit}").fetchall()
    found = [reject for row_index, error in rows
             for reject in split_errors(line_of_row(row_index, skipped_lines), error)]
    return found[:limit], int(total)


def duplicate_key_rejects(con: duckdb.DuckDBPyConnection, table: str, key: tuple[str, ...],
                          skipped_lines: list[int], limit: int) -> tuple[list[Reject], int]:
    """Rows repeating the key of an earlier row."""
    columns = ", ".join(key)
    repeated = (f"SELECT {columns}, min(rowid) AS first_row FROM {table} WHERE load_error IS NULL "
                f"GROUP BY {columns} HAVING count(*) > 1")
    if not scalar(con, f"SELECT count(*) FROM ({repeated})"):
        return [], 0
    rows = con.execute(
        f"SELECT t.rowid, r.first_row FROM {table} t JOIN ({repeated}) r USING ({columns}) "
        f"WHERE t.rowid > r.first_row AND t.load_error IS NULL ORDER BY t.rowid").fetchall()
    found = [Reject(line_of_row(row, skipped_lines), key[-1],
                    f"repeats line {line_of_row(first, skipped_lines)}") for row, first in rows]
    return found[:limit], len(found)
