"""Findings: their kinds, the reason codes a dispute would use, confidence and stable identity."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from recoup.reconciliation.causes import Cause


class Kind(StrEnum):
    OVERCHARGE = "OVERCHARGE"
    UNDERCHARGE = "UNDERCHARGE"
    DUPLICATE_CHARGE = "DUPLICATE_CHARGE"
    DEBITED_BUT_FAILED = "DEBITED_BUT_FAILED"
    VOIDED_BUT_SETTLED = "VOIDED_BUT_SETTLED"
    UNSETTLED = "UNSETTLED"
    SETTLEMENT_MISMATCH = "SETTLEMENT_MISMATCH"
    UNKNOWN_SETTLEMENT = "UNKNOWN_SETTLEMENT"
    REFUND_NOT_SETTLED = "REFUND_NOT_SETTLED"
    OVER_REFUND = "OVER_REFUND"
    MCC_MISMATCH = "MCC_MISMATCH"
    UNMATCHED_CHARGE = "UNMATCHED_CHARGE"
    UNPAID_ORDER = "UNPAID_ORDER"


# Configurable defaults (SPEC section 4): the reason codes a dispute about each kind would use.
REASON_CODES: dict[Kind, tuple[str, ...]] = {
    Kind.DEBITED_BUT_FAILED: ("UnionPay 4502",),
    Kind.OVERCHARGE: ("UnionPay 4507", "Visa 12.5", "Mastercard 4834"),
    Kind.UNDERCHARGE: ("UnionPay 4507", "Visa 12.5", "Mastercard 4834"),
    Kind.DUPLICATE_CHARGE: ("UnionPay 4512", "Visa 12.6.1", "Mastercard 4834"),
    Kind.REFUND_NOT_SETTLED: ("UnionPay 4532", "Visa 13.6"),
    Kind.VOIDED_BUT_SETTLED: ("UnionPay 4544",),
}

# How sure a finding is, before the adjustments in `confidence`: rule-exact kinds that rest on
# two records agreeing are near 1; absences (which a late file could fill) lower.
BASE_CONFIDENCE: dict[Kind, float] = {
    Kind.OVERCHARGE: 0.9, Kind.UNDERCHARGE: 0.9, Kind.DUPLICATE_CHARGE: 0.9,
    Kind.DEBITED_BUT_FAILED: 0.95, Kind.VOIDED_BUT_SETTLED: 0.95, Kind.UNSETTLED: 0.7,
    Kind.SETTLEMENT_MISMATCH: 0.95, Kind.UNKNOWN_SETTLEMENT: 0.8, Kind.REFUND_NOT_SETTLED: 0.75,
    Kind.OVER_REFUND: 0.95, Kind.MCC_MISMATCH: 0.9, Kind.UNMATCHED_CHARGE: 0.6, Kind.UNPAID_ORDER: 0.6,
}


@dataclass(frozen=True)
class Finding:
    kind: Kind
    merchant_id: str
    terminal_id: str | None
    rrn: str | None
    related_rrn: str | None
    order_no: str | None
    charged_minor: int
    expected_minor: int
    currency: str
    cause: Cause | None = None
    event_time: datetime | None = None  # the time of the finding's transaction (UTC)
    other_time: datetime | None = None  # the time of the related transaction (UTC)
    note: str | None = None  # kind-specific fact for the explanation (a status, MCC pair, ...)
    payment_count: int = 0  # payments of an order (over- and undercharges)
    reason_codes: tuple[str, ...] = field(default=())

    @property
    def difference_minor(self) -> int:
        return self.charged_minor - self.expected_minor

    @property
    def key(self) -> str:
        """What identifies the finding among the findings of its kind."""
        parts = (self.merchant_id, self.terminal_id, self.rrn, self.related_rrn, self.order_no)
        return "|".join(part or "" for part in parts)

    @property
    def sort_key(self) -> tuple[str, str, str, str]:
        return self.kind.value, self.rrn or "", self.order_no or "", self.key


def finding_id(kind: str, key: str) -> str:
    return "F-" + hashlib.sha256(f"{kind}|{key}".encode()).hexdigest()[:16]


def confidence(finding: Finding) -> float:
    value = BASE_CONFIDENCE[finding.kind]
    if finding.kind in (Kind.OVERCHARGE, Kind.UNDERCHARGE):
        if finding.cause is Cause.OTHER:
            value -= 0.2
        if finding.payment_count > 1:  # split tender: the sum may hide a legitimate extra payment
            value -= 0.1
    if finding.kind is Kind.DUPLICATE_CHARGE and finding.order_no is None:
        value += 0.05
    return round(min(max(value, 0.0), 1.0), 2)
