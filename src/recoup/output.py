"""Plain, scriptable output for every CLI command that lists or shows things."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from enum import StrEnum

from rich.console import Console
from rich.table import Table


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
        writer = csv.DictWriter(sys.stdout, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if row.get(k) is None else row.get(k) for k in cols})
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
