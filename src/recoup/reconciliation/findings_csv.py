"""The findings file of SPEC section 4 "Output": fixed header, fixed order, stable identities.

The same inputs give the same bytes whatever the row order of the inputs. The file is written
next to its destination and renamed into place only once complete. The free-text columns (ids and
order numbers come from the input files, the explanation quotes them) go through `output.safe_cell`,
so a formula-like value is written as text; the amount, confidence and code columns never change.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from recoup.errors import RecoupError
from recoup.money import format_major
from recoup.output import FORMULA_START, safe_cell
from recoup.reconciliation.explain import explain
from recoup.reconciliation.findings import Finding, confidence, finding_id

HEADER = ("finding_id", "kind", "cause", "merchant_id", "terminal_id", "rrn", "related_rrn", "order_no",
          "charged_amount", "expected_amount", "difference", "currency", "confidence", "explanation")
FREE_TEXT = frozenset(HEADER.index(name) for name in (
    "merchant_id", "terminal_id", "rrn", "related_rrn", "order_no", "explanation"))


def _order_with_key(finding: Finding, key: str) -> tuple[object, ...]:
    return (finding.kind.value, finding.rrn or "", finding.order_no or "", key, finding.charged_minor,
            finding.expected_minor, finding.currency, str(finding.event_time), str(finding.other_time),
            finding.note or "")


def _full_order(finding: Finding) -> tuple[object, ...]:
    """Sort by kind, rrn, order_no (SPEC), then by everything else, so ties never fall to input order."""
    return _order_with_key(finding, finding.key)


def ordered_rows(findings: Iterable[Finding]) -> list[list[str]]:
    """CSV rows (without header) in output order; a key seen twice gets '#2', '#3'... in its id."""
    keyed = [(finding, finding.key) for finding in findings]  # the key joins five texts: once each
    keyed.sort(key=lambda pair: _order_with_key(*pair))
    seen: dict[str, int] = {}
    rows = []
    for finding, own_key in keyed:
        identity = f"{finding.kind.value}|{own_key}"
        seen[identity] = seen.get(identity, 0) + 1
        key = own_key if seen[identity] == 1 else f"{own_key}#{seen[identity]}"
        rows.append([
            finding_id(finding.kind.value, key), finding.kind.value, finding.cause.value if finding.cause else "",
            finding.merchant_id, finding.terminal_id or "", finding.rrn or "", finding.related_rrn or "",
            finding.order_no or "", format_major(finding.charged_minor, finding.currency),
            format_major(finding.expected_minor, finding.currency),
            format_major(finding.difference_minor, finding.currency), finding.currency,
            f"{confidence(finding):.2f}", explain(finding),
        ])
    return rows


def _neutralised(row: list[str]) -> list[str]:
    """safe_cell on the free-text cells that may need it (only a cell starting like a formula can)."""
    if not any(row[position].startswith(FORMULA_START) for position in FREE_TEXT):
        return row
    return [str(safe_cell(value)) if position in FREE_TEXT else value for position, value in enumerate(row)]


def write_findings(findings: Iterable[Finding], out: Path) -> int:
    """Write the findings CSV atomically; returns the number of findings written."""
    rows = ordered_rows(findings)
    directory = out.parent if str(out.parent) else Path(".")
    if not directory.is_dir():
        raise RecoupError(f"cannot write {out}: no directory {directory}")
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", newline="", dir=directory,
                                         prefix=f".{out.name}.", suffix=".tmp", delete=False)
    try:
        with handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(HEADER)
            writer.writerows(_neutralised(row) for row in rows)
        os.replace(handle.name, out)
    except OSError as error:
        Path(handle.name).unlink(missing_ok=True)
        raise RecoupError(f"cannot write {out}: {error.strerror}") from None
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return len(rows)
