"""The findings file: fixed header, SPEC order, stable ids, written whole or not at all."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from recoup.errors import RecoupError
from recoup.reconciliation.causes import Cause
from recoup.reconciliation.findings import Finding, Kind, confidence, finding_id
from recoup.reconciliation.findings_csv import HEADER, ordered_rows, write_findings


def finding(kind: Kind, rrn: str | None, order_no: str | None = None, charged: int = 0, expected: int = 0,
            cause: Cause | None = None) -> Finding:
    return Finding(kind, "898584058121917", "61067484", rrn, None, order_no, charged, expected, "CNY", cause=cause)


def test_rows_sorted_by_kind_rrn_order_whatever_the_input_order() -> None:
    findings = [finding(Kind.UNSETTLED, "000000000002", expected=100), finding(Kind.UNPAID_ORDER, None, "O-2"),
                finding(Kind.OVERCHARGE, "000000000009", "O-1", 2000, 1000, Cause.OTHER),
                finding(Kind.UNSETTLED, "000000000001", expected=100)]
    rows = ordered_rows(findings)
    assert [(row[1], row[5], row[7]) for row in rows] == [
        ("OVERCHARGE", "000000000009", "O-1"), ("UNPAID_ORDER", "", "O-2"),
        ("UNSETTLED", "000000000001", ""), ("UNSETTLED", "000000000002", "")]
    assert ordered_rows(list(reversed(findings))) == rows


def test_amounts_in_major_units_and_signed_difference() -> None:
    (row,) = ordered_rows([finding(Kind.UNSETTLED, "000000000001", charged=0, expected=12345)])
    assert row[8:12] == ["0.00", "123.45", "-123.45", "CNY"]


def test_finding_id_is_derived_from_kind_and_key_and_repeats_are_told_apart() -> None:
    first = finding(Kind.UNKNOWN_SETTLEMENT, "000000000001", charged=100)
    again = finding(Kind.UNKNOWN_SETTLEMENT, "000000000001", charged=200)
    rows = ordered_rows([again, first])
    assert rows[0][0] == finding_id("UNKNOWN_SETTLEMENT", first.key)
    assert rows[1][0] == finding_id("UNKNOWN_SETTLEMENT", first.key + "#2")
    assert rows[0][0].startswith("F-")
    assert len(rows[0][0]) == 18


def test_confidence_is_lower_for_unexplained_differences() -> None:
    keyed = finding(Kind.OVERCHARGE, "1", "O", 128000, 12800, Cause.EXTRA_DIGIT)
    unexplained = finding(Kind.OVERCHARGE, "1", "O", 7090, 7000, Cause.OTHER)
    assert 0 <= confidence(unexplained) < confidence(keyed) <= 1


def test_write_is_whole_and_utf8(tmp_path: Path) -> None:
    out = tmp_path / "findings.csv"
    assert write_findings([finding(Kind.UNPAID_ORDER, None, "订单-1", expected=100)], out) == 1
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == HEADER
    assert rows[1][7] == "订单-1"
    assert list(tmp_path.iterdir()) == [out]


def test_failed_write_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(RecoupError, match="no directory"):
        write_findings([], tmp_path / "missing" / "findings.csv")
    assert not (tmp_path / "missing").exists()
