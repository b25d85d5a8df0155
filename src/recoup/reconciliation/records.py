"""Engine findings as the records the store and the inbox keep (id, amounts, explanation, codes)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from recoup.reconciliation.findings import Finding
from recoup.reconciliation.findings_csv import _full_order, ordered_rows


@dataclass(frozen=True)
class FindingRecord:
    finding_id: str
    kind: str
    cause: str | None
    merchant_id: str
    terminal_id: str | None
    rrn: str | None
    related_rrn: str | None
    order_no: str | None
    charged_minor: int
    expected_minor: int
    difference_minor: int
    currency: str
    confidence: float
    reason_codes: tuple[str, ...]
    explanation: str


def finding_records(findings: Iterable[Finding]) -> list[FindingRecord]:
    """The same ids, confidences and explanations as the findings CSV, in the same order."""
    ordered = sorted(findings, key=_full_order)
    records = []
    for finding, row in zip(ordered, ordered_rows(ordered), strict=True):
        records.append(FindingRecord(
            finding_id=row[0], kind=finding.kind.value, cause=finding.cause.value if finding.cause else None,
            merchant_id=finding.merchant_id, terminal_id=finding.terminal_id, rrn=finding.rrn,
            related_rrn=finding.related_rrn, order_no=finding.order_no, charged_minor=finding.charged_minor,
            expected_minor=finding.expected_minor, difference_minor=finding.difference_minor,
            currency=finding.currency, confidence=float(row[12]), reason_codes=tuple(finding.reason_codes),
            explanation=row[13],
        ))
    return records
