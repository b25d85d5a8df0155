"""SPEC section 4, the kinds table: the rows that compare sales with orders, and the causes of a difference."""

from __future__ import annotations

from pathlib import Path

import pytest
from recon_cases import OTHER_CARD, Case, order, rrn, run, sale, settled, undo
from recon_cases import found_causes as found

THIRD_CARD = "6228480402564890018"


def paying(order_amount: str, *charges: str) -> Case:
    """One order paid by each charge in turn (one card each, a minute apart), all settled."""
    case = Case(orders=[order("O-1", order_amount, "10:00")])
    for index, (amount, card) in enumerate(zip(charges, ["6217000472907650621", OTHER_CARD, THIRD_CARD],
                                               strict=False), start=1):
        line = sale(rrn(index), amount, f"10:0{index}", order_no="O-1", card=card)
        case.journal.append(line)
        case.settlement.append(settled(line))
    return case


@pytest.mark.parametrize(("expected", "charged", "kind", "cause"), [
    ("1.28", "128.00", "OVERCHARGE", "DECIMAL_SHIFT"),  # x100: before EXTRA_DIGIT would even be tried
    ("128.00", "1.28", "UNDERCHARGE", "DECIMAL_SHIFT"),
    ("128.00", "1208.00", "OVERCHARGE", "EXTRA_DIGIT"),  # a digit inserted inside
    ("128.00", "9128.00", "OVERCHARGE", "EXTRA_DIGIT"),  # ... or in front
    ("128.00", "18.00", "UNDERCHARGE", "MISSING_DIGIT"),
    ("128.00", "12.80", "UNDERCHARGE", "MISSING_DIGIT"),  # /10
    ("128.00", "182.00", "OVERCHARGE", "TRANSPOSED_DIGITS"),
    ("12.80", "12.08", "UNDERCHARGE", "TRANSPOSED_DIGITS"),  # the swap may touch the cents
    ("128.00", "821.00", "OVERCHARGE", "OTHER"),  # a swap of digits that are not adjacent
    ("128.00", "12800.00", "OVERCHARGE", "DECIMAL_SHIFT"),
    ("128.00", "128000.00", "OVERCHARGE", "OTHER"),  # x1000 is neither
])
def test_causes_compare_minor_units_as_digit_strings(tmp_path: Path, expected: str, charged: str, kind: str,
                                                     cause: str) -> None:
    """Causes: "comparing the amounts in minor units as digit strings, the first that fits: DECIMAL_SHIFT
    (x100 or /100), EXTRA_DIGIT (one digit inserted), MISSING_DIGIT (one digit deleted),
    TRANSPOSED_DIGITS (two adjacent digits swapped), OTHER"."""
    assert found(paying(expected, charged), tmp_path) == [(kind, cause, rrn(1), "O-1")]


def test_causes_of_an_amount_without_decimals(tmp_path: Path) -> None:
    """In JPY (0 decimals) the minor unit is the yen: 1280 for 128 is EXTRA_DIGIT, 12800 DECIMAL_SHIFT; the
    amounts are written without decimals."""
    for charged, cause in (("1280", "EXTRA_DIGIT"), ("12800", "DECIMAL_SHIFT")):
        case = Case(orders=[order("O-1", "128", "10:00") | {"currency": "JPY"}])
        line = sale(rrn(1), charged, "10:01", order_no="O-1") | {"currency": "JPY"}
        case.journal.append(line)
        case.settlement.append(settled(line) | {"currency": "JPY", "fee": "0", "net_amount": charged})
        rows = run(case, tmp_path / charged)
        assert [(f["kind"], f["cause"], f["charged_amount"], f["expected_amount"], f["difference"], f["currency"])
                for f in rows] == [("OVERCHARGE", cause, charged, "128", str(int(charged) - 128), "JPY")]


def test_overcharge_names_the_latest_payment_and_sums_them(tmp_path: Path) -> None:
    """OVERCHARGE: "an order's payments add up to more than its expected amount"; `rrn` "the latest payment";
    charged the sum, expected the order's amount."""
    rows = run(paying("300.00", "100.00", "2100.00"), tmp_path)
    assert [(f["kind"], f["rrn"], f["charged_amount"], f["expected_amount"], f["difference"]) for f in rows] == [
        ("OVERCHARGE", rrn(2), "2200.00", "300.00", "1900.00")]


def test_refunds_covering_the_whole_difference_settle_an_overcharge(tmp_path: Path) -> None:
    """"and the payments' approved refunds do not already cover the difference": refunds of exactly the
    difference (in two parts) leave nothing due; one cent short leaves the OVERCHARGE."""
    for refunded, due in ((("1000.00", "152.00"), []), (("1000.00", "151.99"), [("OVERCHARGE", "EXTRA_DIGIT")])):
        case = paying("128.00", "1280.00")
        refunds = [undo("REFUND", rrn(10 + i), amount, f"11:0{i}", rrn(1)) for i, amount in enumerate(refunded)]
        case.journal += refunds
        case.settlement += [settled(refund) for refund in refunds]
        assert [(kind, cause) for kind, cause, _, _ in found(case, tmp_path / refunded[1])] == due


def test_a_declined_refund_does_not_cover_an_overcharge(tmp_path: Path) -> None:
    """Only the payments' *approved* refunds count."""
    case = paying("128.00", "1280.00")
    case.journal.append(undo("REFUND", rrn(10), "1152.00", "11:00", rrn(1), status="DECLINED"))
    assert found(case, tmp_path) == [("OVERCHARGE", "EXTRA_DIGIT", rrn(1), "O-1")]


def test_undercharge_names_the_latest_payment(tmp_path: Path) -> None:
    """UNDERCHARGE: "an order's payments add up to less than its expected amount (and more than zero)"."""
    rows = run(paying("300.00", "100.00", "20.00"), tmp_path)
    assert [(f["kind"], f["cause"], f["rrn"], f["difference"]) for f in rows] == [
        ("UNDERCHARGE", "OTHER", rrn(2), "-180.00")]


def test_split_tender_adding_up_is_clean(tmp_path: Path) -> None:
    """"Several payments of one order (split tender: two cards, or card and QR) are normal; only their sum is
    compared": three cards adding up exactly yield nothing."""
    assert run(paying("300.00", "100.00", "150.00", "50.00"), tmp_path) == []


def test_unmatched_charge_only_on_days_the_orders_cover(tmp_path: Path) -> None:
    """UNMATCHED_CHARGE: "a sale in force that links to no order and is not a duplicate, on a day the orders
    cover": the stray sale of the 12th is due, that of the 13th (no orders that day) is not."""
    case = paying("10.00", "10.00")
    strays = [sale(rrn(5), "66.00", "14:00", card=OTHER_CARD),
              sale(rrn(6), "77.00", "14:00", card=THIRD_CARD) | {"txn_time": "2026-10-13T14:00:00+08:00"}]
    case.journal += strays
    case.settlement += [settled(line) for line in strays]
    rows = run(case, tmp_path)
    assert [(f["kind"], f["rrn"], f["charged_amount"], f["expected_amount"]) for f in rows] == [
        ("UNMATCHED_CHARGE", rrn(5), "66.00", "0.00")]


def test_unpaid_order_has_no_rrn_and_the_order_amount(tmp_path: Path) -> None:
    """UNPAID_ORDER: "an order with no payment"; `rrn` empty, `order_no` the order; expected the order's amount."""
    case = Case(orders=[order("O-1", "88.00", "10:00")])
    rows = run(case, tmp_path)
    assert [(f["kind"], f["rrn"], f["order_no"], f["charged_amount"], f["expected_amount"], f["difference"])
            for f in rows] == [("UNPAID_ORDER", "", "O-1", "0.00", "88.00", "-88.00")]


def test_an_order_named_by_a_debited_but_failed_sale_is_not_unpaid(tmp_path: Path) -> None:
    """"and named by no sale of a DEBITED_BUT_FAILED finding": the failed-but-cleared sale's order is not unpaid;
    the order of a failed sale the settlement never cleared is."""
    case = Case(orders=[order("O-1", "10.00", "10:00"), order("O-2", "20.00", "11:00")])
    cleared = sale(rrn(1), "10.00", "10:01", order_no="O-1", status="FAILED")
    case.journal += [cleared, sale(rrn(2), "20.00", "11:01", order_no="O-2", status="TIMEOUT", card=OTHER_CARD)]
    case.settlement.append(settled(cleared))
    assert found(case, tmp_path) == [("DEBITED_BUT_FAILED", "", rrn(1), "O-1"), ("UNPAID_ORDER", "", "", "O-2")]
