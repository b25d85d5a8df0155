"""SPEC section 4 "Output": header, row order, finding_id, related_rrn and the signed amounts."""

from __future__ import annotations

import random
from pathlib import Path

from recon_cases import MERCHANT, OTHER_CARD, Case, order, rrn, run, sale, settled, undo

HEADER = ["finding_id", "kind", "cause", "merchant_id", "terminal_id", "rrn", "related_rrn", "order_no",
          "charged_amount", "expected_amount", "difference", "currency", "confidence", "explanation"]
THIRD_CARD = "6228480402564890018"


def many_kinds() -> Case:
    """One day with a finding of most kinds, written in an order unlike the output's."""
    case = Case(orders=[order("O-9", "50.00", "09:00"), order("O-2", "128.00", "10:00"), order("O-1", "7.00", "11:00"),
                        order("O-3", "30.00", "12:00")],
                merchants=[{"merchant_id": MERCHANT, "name": "明珠餐厅", "mcc": "5812", "timezone": "Asia/Shanghai",
                            "tenant": "ACQ"}])
    over = sale(rrn(30), "1280.00", "10:01", order_no="O-2")
    first, repeat = sale(rrn(20), "30.00", "12:01", order_no="O-3"), sale(rrn(10), "30.00", "12:05", order_no="O-3")
    failed = sale(rrn(40), "12.00", "13:00", status="FAILED", card=OTHER_CARD)
    stray = sale(rrn(50), "66.00", "14:00", card=THIRD_CARD)
    refund = undo("REFUND", rrn(60), "5.00", "15:00", rrn(30))
    case.journal += [stray, over, repeat, failed, first, refund]
    case.settlement += [settled(stray, mcc="5411"), settled(over), settled(repeat), settled(failed), settled(first),
                        settled(sale(rrn(70), "9.00", "16:00"))]
    return case


def test_header_and_rows_sorted_by_kind_rrn_order_no(tmp_path: Path) -> None:
    """"one header line: finding_id, kind, cause, ...", "Rows sorted by kind, rrn, order_no" (an empty rrn
    first within its kind, then by order number)."""
    case = many_kinds()
    run(case, tmp_path)
    lines = (tmp_path / "findings.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].split(",") == HEADER
    rows = run(case, tmp_path)
    assert [(f["kind"], f["rrn"], f["order_no"]) for f in rows] == [
        ("DEBITED_BUT_FAILED", rrn(40), ""),
        ("DUPLICATE_CHARGE", rrn(10), "O-3"),
        ("MCC_MISMATCH", rrn(50), ""),
        ("OVERCHARGE", rrn(30), "O-2"),
        ("REFUND_NOT_SETTLED", rrn(60), ""),
        ("UNKNOWN_SETTLEMENT", rrn(70), ""),
        ("UNMATCHED_CHARGE", rrn(50), ""),
        ("UNPAID_ORDER", "", "O-1"),
        ("UNPAID_ORDER", "", "O-9"),
    ]


def test_related_rrn_names_the_other_transaction(tmp_path: Path) -> None:
    """"related_rrn names the other transaction involved (the first sale of a duplicate's group, ..., the sale
    of a refund)": the duplicate (RRN ...10, 12:05) names the group's first (RRN ...20, 12:01), not the lower
    RRN; the unsettled refund names its sale; the other kinds name none."""
    related = {(f["kind"], f["rrn"]): f["related_rrn"] for f in run(many_kinds(), tmp_path)}
    assert related == {
        ("DEBITED_BUT_FAILED", rrn(40)): "", ("DUPLICATE_CHARGE", rrn(10)): rrn(20), ("MCC_MISMATCH", rrn(50)): "",
        ("OVERCHARGE", rrn(30)): "", ("REFUND_NOT_SETTLED", rrn(60)): rrn(30), ("UNKNOWN_SETTLEMENT", rrn(70)): "",
        ("UNMATCHED_CHARGE", rrn(50)): "", ("UNPAID_ORDER", ""): ""}


def test_the_same_inputs_give_the_same_bytes_whatever_their_row_order(tmp_path: Path) -> None:
    """"the same inputs give the same file byte for byte, whatever the row order of the inputs"."""
    case = many_kinds()
    run(case, tmp_path / "a")
    shuffled = random.Random(7)
    for rows in (case.orders, case.journal, case.settlement):
        shuffled.shuffle(rows)
    run(case, tmp_path / "b")
    assert (tmp_path / "a" / "findings.csv").read_bytes() == (tmp_path / "b" / "findings.csv").read_bytes()


def test_finding_id_depends_on_its_finding_only(tmp_path: Path) -> None:
    """"finding_id derived from kind and key": adding an unrelated finding leaves the others' ids unchanged."""
    case = many_kinds()
    before = {(f["kind"], f["rrn"], f["order_no"]): f["finding_id"] for f in run(case, tmp_path / "a")}
    case.orders.append(order("O-0", "1.00", "18:00"))
    after = {(f["kind"], f["rrn"], f["order_no"]): f["finding_id"] for f in run(case, tmp_path / "b")}
    assert set(after) - set(before) == {("UNPAID_ORDER", "", "O-0")}
    assert all(after[key] == finding_id for key, finding_id in before.items())
    assert len(set(after.values())) == len(after)


def test_amounts_are_major_units_and_the_difference_is_signed(tmp_path: Path) -> None:
    """"Amounts are decimal strings in major units; ... difference = charged − expected, signed"."""
    rows = {(f["kind"], f["rrn"] or f["order_no"]): (f["charged_amount"], f["expected_amount"], f["difference"])
            for f in run(many_kinds(), tmp_path)}
    assert rows[("OVERCHARGE", rrn(30))] == ("1280.00", "128.00", "1152.00")
    assert rows[("DUPLICATE_CHARGE", rrn(10))] == ("30.00", "0.00", "30.00")
    assert rows[("DEBITED_BUT_FAILED", rrn(40))] == ("12.00", "0.00", "12.00")
    assert rows[("REFUND_NOT_SETTLED", rrn(60))] == ("0.00", "5.00", "-5.00")
    assert rows[("UNPAID_ORDER", "O-1")] == ("0.00", "7.00", "-7.00")
    assert rows[("UNKNOWN_SETTLEMENT", rrn(70))] == ("9.00", "0.00", "9.00")
