"""Explanations: Chinese then English, amounts with separators, reason codes where a dispute needs them."""

from __future__ import annotations

from datetime import datetime, timedelta

from recoup.reconciliation.causes import Cause
from recoup.reconciliation.explain import explain, grouped
from recoup.reconciliation.findings import REASON_CODES, Finding, Kind


def make(kind: Kind, charged: int, expected: int, **facts: object) -> Finding:
    return Finding(kind, "898584058121917", "61067484", "000000000001", facts.pop("related_rrn", None),  # type: ignore[arg-type]
                   "O-1", charged, expected, "CNY", reason_codes=REASON_CODES.get(kind, ()), **facts)  # type: ignore[arg-type]


def test_grouped_amounts() -> None:
    assert grouped(128000, "CNY") == "1,280.00"
    assert grouped(-5, "CNY") == "-0.05"
    assert grouped(1234567, "JPY") == "1,234,567"


def test_extra_zero_is_told_in_both_languages() -> None:
    text = explain(make(Kind.OVERCHARGE, 128000, 12800, cause=Cause.EXTRA_DIGIT))
    chinese, english = text.split(" / ", 1)
    assert chinese == "收银员可能多输了一个0:订单金额 128.00 元,实际扣款 1,280.00 元,多收 1,152.00 元"
    assert english.startswith("The cashier probably typed an extra 0: the order was CNY 128.00")
    assert english.endswith("[UnionPay 4507; Visa 12.5; Mastercard 4834]")


def test_every_kind_has_a_bilingual_explanation() -> None:
    moment = datetime(2026, 10, 12, 2, 0)
    for kind in Kind:
        text = explain(make(kind, 1000, 900, related_rrn="000000000002", event_time=moment,
                            other_time=moment - timedelta(minutes=3), note="5411/5812" if kind is Kind.MCC_MISMATCH
                            else None))
        chinese, english = text.split(" / ", 1)
        assert any("\u4e00" <= char <= "\u9fff" for char in chinese), kind
        assert english.isascii(), kind


def test_duplicate_tells_how_far_apart() -> None:
    moment = datetime(2026, 10, 12, 2, 0)
    text = explain(make(Kind.DUPLICATE_CHARGE, 19550, 0, related_rrn="000000000002", event_time=moment,
                        other_time=moment - timedelta(seconds=31)))
    assert "31 秒内" in text
    assert "within 31 seconds" in text
