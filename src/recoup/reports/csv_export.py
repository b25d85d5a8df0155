"""The report as CSV: one section per table (a title line, the header, the rows, a blank line), numbers as
the JSON has them (money in major units), every cell through recoup.output's formula-safe rule. The CLI's
`--format csv` and the page's CSV download both write this."""

from __future__ import annotations

import io
from dataclasses import fields
from typing import cast

from recoup.output import csv_writer
from recoup.reports.summary import (
    MONEY_FIELDS,
    NOT_IN_JSON,
    AgeRow,
    CauseRow,
    DayRow,
    KindRow,
    PreventionRow,
    RateRow,
    Summary,
    to_json,
)

# The CSV's sections, in the JSON's order: (key of to_json, one row or a list of rows).
ROW_TYPES: dict[str, type] = {"by_kind": KindRow, "by_cause": CauseRow, "by_day": DayRow,
                              "worst_terminals": RateRow, "worst_cashiers": RateRow, "ageing": AgeRow,
                              "prevention": PreventionRow}
SECTIONS = ("totals", "previous", "by_kind", "by_cause", "by_day", "worst_terminals", "worst_cashiers",
            "funnel", "ageing", "prevention")


def header_of(section: str) -> list[str]:
    """The columns of a table with no rows (the JSON's names: money without its `_minor`)."""
    row_type = ROW_TYPES[section]
    return [item.name.removesuffix("_minor") if item.name in MONEY_FIELDS else item.name
            for item in fields(row_type) if item.name not in NOT_IN_JSON]


def summary_csv(summary: Summary) -> str:
    """The report as CSV: one section per table, numbers as the JSON has them (money in major units)."""
    out = io.StringIO()
    writer = csv_writer(out)
    report = to_json(summary)
    writer.writerow(["report", report["from"], report["to"], report["currency"],
                     " ".join(summary.merchant_ids) or "all merchants"])
    for section in SECTIONS:
        value = report[section]
        rows = cast("list[dict[str, object]]", value if isinstance(value, list) else [value])
        writer.writerow([])
        writer.writerow([section])
        columns = list(rows[0]) if rows else header_of(section)
        writer.writerow(columns)
        writer.writerows([[_cell(row.get(column)) for column in columns] for row in rows])
    return out.getvalue()


def _cell(value: object) -> object:
    """A cell: empty for none, a prevention entry's figures as "name=value; …" and examples space-separated."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return "; ".join(f"{name}={item}" for name, item in value.items())
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    return value
