"""The cheaper rule queries of issue 15 find what the rules say, on one small day that exercises each
rewritten path: MCC switching found from the settlement's days, failed and reversed sales found by
filters on few lines, payments and unmatched charges read from the sales table and the rule 2 links."""

from __future__ import annotations

from pathlib import Path

from recon_cases import MERCHANT, Case, order, run, sale, settled, undo

REGISTRY = [{"merchant_id": MERCHANT, "name": "明珠餐厅", "mcc": "5812", "timezone": "Asia/Shanghai", "tenant": "ACQ"}]


def rrn(n: int) -> str:
    return f"{n:012d}"


def _day() -> Case:
    case = Case(merchants=REGISTRY)
    case.paid("O-1", rrn(1), "10.00", "08:00")
    for n, clock in ((2, "08:10"), (3, "08:20")):  # cleared under another category than registered
        case.paid(f"O-{n}", rrn(n), "20.00", clock)
        case.settlement[-1]["mcc"] = "5411"
    failed = sale(rrn(4), "30.00", "09:00", order_no="O-4", status="FAILED")
    timed_out = sale(rrn(5), "31.00", "09:05", order_no="O-5", status="TIMEOUT")
    reversed_sale = sale(rrn(6), "32.00", "09:10", order_no="O-6")
    reversal = undo("REVERSAL", rrn(7), "32.00", "09:11", rrn(6))
    declined = sale(rrn(8), "33.00", "09:20", order_no="O-8", status="DECLINED")  # not cleared: nothing
    case.orders += [order(f"O-{n}", amount, clock) for n, amount, clock in
                    ((4, "30.00", "09:00"), (5, "31.00", "09:05"), (6, "32.00", "09:10"), (8, "33.00", "09:20"))]
    case.journal += [failed, timed_out, reversed_sale, reversal, declined]
    case.settlement += [settled(failed), settled(timed_out), settled(reversed_sale)]
    case.orders.append(order("O-9", "50.00", "10:00"))  # paid by rule 2, too much
    loose = sale(rrn(9), "500.00", "10:05")  # an extra 0 keyed: rule 2 links it all the same
    stray = sale(rrn(10), "66.00", "14:00")  # no order anywhere near: unmatched
    case.journal += [loose, stray]
    case.settlement += [settled(loose), settled(stray)]
    return case


def test_each_rewritten_rule_finds_its_lines_and_no_other(tmp_path: Path) -> None:
    found = [(f["kind"], f["rrn"], f["related_rrn"], f["order_no"], f["charged_amount"], f["expected_amount"])
             for f in run(_day(), tmp_path)]
    assert found == [
        ("DEBITED_BUT_FAILED", rrn(4), "", "O-4", "30.00", "0.00"),
        ("DEBITED_BUT_FAILED", rrn(5), "", "O-5", "31.00", "0.00"),
        ("DEBITED_BUT_FAILED", rrn(6), rrn(7), "O-6", "32.00", "0.00"),
        ("MCC_MISMATCH", rrn(2), "", "O-2", "20.00", "20.00"),
        ("MCC_MISMATCH", rrn(3), "", "O-3", "20.00", "20.00"),
        ("OVERCHARGE", rrn(9), "", "O-9", "500.00", "50.00"),
        ("UNMATCHED_CHARGE", rrn(10), "", "", "66.00", "0.00"),
        ("UNPAID_ORDER", "", "", "O-8", "0.00", "33.00"),
    ]


def test_without_another_category_no_line_is_switched(tmp_path: Path) -> None:
    case = _day()
    for line in case.settlement:
        line["mcc"] = "5812"
    assert "MCC_MISMATCH" not in {f["kind"] for f in run(case, tmp_path)}
