"""Summary lines after the detail lines (总交易单数, 总交易额 ...): read and checked against the details. Pure.

A summary value stands either in the cell after its label (`总交易单数,3` or `总交易单数：3`) or, when
the summary has a header line of its own, in the same column of the next line. Counts must equal the
number of detail lines, amounts the sum of the amount column as written (signed, in the profile's
unit); any disagreement refuses the whole file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from recoup.errors import InvalidInput
from recoup.ingest.values import BadValue, minor_units

_NUMBER = re.compile(r"[-+]?[¥￥]?[\d,]+(\.\d+)?")
_INLINE = re.compile(r"^(?P<label>[^:：=]+)[:：=]\s*(?P<value>.+)$")


@dataclass(frozen=True)
class SummaryValue:
    label: str
    text: str
    line: int


def summary_values(rows: list[tuple[int, list[str]]], labels: tuple[str, ...]) -> list[SummaryValue]:
    found: list[SummaryValue] = []
    for position, (line, cells) in enumerate(rows):
        for index, cell in enumerate(cells):
            inline = _INLINE.match(cell)
            label, value = (inline["label"].strip(), inline["value"].strip()) if inline else (cell, "")
            if label not in labels:
                continue
            if not value and index + 1 < len(cells) and _NUMBER.fullmatch(cells[index + 1]):
                value = cells[index + 1]
            if not value and position + 1 < len(rows):
                below_line, below = rows[position + 1]
                if index < len(below) and below[index]:
                    found.append(SummaryValue(label, below[index], below_line))
                    continue
            if value:
                found.append(SummaryValue(label, value, line))
    return found


def check_summary(file_name: str, rows: list[tuple[int, list[str]]], *, count_labels: tuple[str, ...],
                  amount_labels: tuple[str, ...], unit: str, detail_count: int, detail_minor: int) -> None:
    """InvalidInput (line and column of the summary) when its totals disagree with the details."""
    counts = summary_values(rows, count_labels)
    amounts = summary_values(rows, amount_labels)
    if (count_labels or amount_labels) and not (counts or amounts):
        first = rows[0][0] if rows else 0
        labels = " / ".join(count_labels + amount_labels)
        raise InvalidInput(f"{file_name}: line {first}: a summary line without {labels}; nothing imported")
    for value in counts:
        written = value.text.replace(",", "")
        if not written.isdigit() or int(written) != detail_count:
            raise InvalidInput(f"{file_name}: line {value.line}, column {value.label}: the summary says "
                               f"{value.text} line(s) but the file has {detail_count} detail line(s); "
                               "nothing imported")
    for value in amounts:
        try:
            total = minor_units(value.text, unit)
        except BadValue as bad:
            raise InvalidInput(f"{file_name}: line {value.line}, column {value.label}: {bad}; nothing imported"
                               ) from None
        if total != detail_minor:
            raise InvalidInput(f"{file_name}: line {value.line}, column {value.label}: the summary total "
                               f"{value.text} is not the sum of the detail lines ({_major(detail_minor, unit)}); "
                               "nothing imported")


def _major(minor: int, unit: str) -> str:
    if unit == "fen":
        return str(minor)
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100}.{abs(minor) % 100:02d}"
