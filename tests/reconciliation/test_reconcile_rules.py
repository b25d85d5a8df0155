"""Each finding kind of SPEC section 4 on tiny hand-made inputs, and the hard negatives beside it."""

from __future__ import annotations

from pathlib import Path

import pytest
from recon_cases import (
    CARD,
    MERCHANT,
    OTHER_CARD,
    OTHER_TERMINAL,
    Case,
    kinds,
    order,
    run,
    sale,
    settled,
    undo,
)


def rrn(n: int) -> str:
    return f"{n:012d}"


def clean_day(case: Case) -> None:
    """A paid, settled order that makes the day covered by orders and settlement alike."""
    case.paid("CLEAN-1", rrn(999), "10.00", "08:00")


def test_clean_day_yields_nothing(tmp_path: Path) -> None:
    case = Case()
    clean_day(case)
    case.paid("CLEAN-2", rrn(998), "25.50", "09:00")
    assert run(case, tmp_path) == []


@pytest.mark.parametrize(("expected", "charged", "kind", "cause"), [
    ("128.00", "1280.00", "OVERCHARGE", "EXTRA_DIGIT"),
    ("128.00", "1288.00", "OVERCHARGE", "EXTRA_DIGIT"),
    ("4.53", "453.00", "OVERCHARGE", "DECIMAL_SHIFT"),
    ("45.00", "54.00", "OVERCHARGE", "TRANSPOSED_DIGITS"),
    ("70.00", "70.90", "OVERCHARGE", "OTHER"),
    ("128.00", "12.80", "UNDERCHARGE", "MISSING_DIGIT"),
    ("453.00", "4.53", "UNDERCHARGE", "DECIMAL_SHIFT"),
    ("54.00", "45.00", "UNDERCHARGE", "TRANSPOSED_DIGITS"),
    ("100.00", "99.00", "UNDERCHARGE", "OTHER"),
])
def test_keyed_amounts_are_over_or_undercharges_with_their_cause(
        tmp_path: Path, expected: str, charged: str, kind: str, cause: str) -> None:
    case = Case(orders=[order("O-1", expected, "10:00")])
    line = sale(rrn(1), charged, "10:01", order_no="O-1")
    case.journal.append(line)
    case.settlement.append(settled(line))
    found = run(case, tmp_path)
    assert [(f["kind"], f["cause"], f["rrn"], f["order_no"]) for f in found] == [(kind, cause, rrn(1), "O-1")]
    assert found[0]["charged_amount"] == charged
    assert found[0]["expected_amount"] == expected


def test_overcharge_explained_in_chinese_then_english(tmp_path: Path) -> None:
    case = Case(orders=[order("O-1", "128.00", "10:00")])
    line = sale(rrn(1), "1280.00", "10:01", order_no="O-1")
    case.journal.append(line)
    case.settlement.append(settled(line))
    (finding,) = run(case, tmp_path)
    assert finding["difference"] == "1152.00"
    assert finding["explanation"].startswith("收银员可能多输了一个0:订单金额 128.00 元,实际扣款 1,280.00 元")
    assert "/ The cashier probably typed an extra 0" in finding["explanation"]
    assert "UnionPay 4507" in finding["explanation"]


def test_overcharge_already_refunded_is_not_due(tmp_path: Path) -> None:
    case = Case(orders=[order("O-1", "128.00", "10:00")])
    line = sale(rrn(1), "1280.00", "10:01", order_no="O-1")
    refund = undo("REFUND", rrn(2), "1152.00", "11:00", rrn(1), order_no="O-1")
    case.journal += [line, refund]
    case.settlement += [settled(line), settled(refund)]
    assert run(case, tmp_path) == []


def test_partly_refunded_overcharge_is_still_due(tmp_path: Path) -> None:
    case = Case(orders=[order("O-1", "128.00", "10:00")])
    line = sale(rrn(1), "1280.00", "10:01", order_no="O-1")
    refund = undo("REFUND", rrn(2), "1000.00", "11:00", rrn(1), order_no="O-1")
    case.journal += [line, refund]
    case.settlement += [settled(line), settled(refund)]
    assert kinds(run(case, tmp_path)) == [("OVERCHARGE", rrn(1))]


def test_split_tender_adds_up_and_its_latest_payment_names_a_gap(tmp_path: Path) -> None:
    case = Case(orders=[order("O-1", "300.00", "10:00"), order("O-2", "300.00", "12:00")])
    lines = [sale(rrn(1), "100.00", "10:01", order_no="O-1", card=CARD),
             sale(rrn(2), "200.00", "10:02", order_no="O-1", card=OTHER_CARD),
             sale(rrn(3), "100.00", "12:01", order_no="O-2", card=CARD),
             sale(rrn(4), "2000.00", "12:02", order_no="O-2", card=OTHER_CARD)]
    case.journal += lines
    case.settlement += [settled(line) for line in lines]
    found = run(case, tmp_path)
    assert [(f["kind"], f["rrn"], f["charged_amount"]) for f in found] == [("OVERCHARGE", rrn(4), "2100.00")]


def test_difference_collected_by_a_second_payment_is_not_an_undercharge(tmp_path: Path) -> None:
    case = Case(orders=[order("O-1", "128.00", "10:00")])
    lines = [sale(rrn(1), "12.80", "10:01", order_no="O-1"), sale(rrn(2), "115.20", "10:30", order_no="O-1")]
    case.journal += lines
    case.settlement += [settled(line) for line in lines]
    assert run(case, tmp_path) == []


def test_duplicate_is_the_second_charge_of_one_order(tmp_path: Path) -> None:
    case = Case(orders=[order("O-1", "195.50", "10:00")])
    lines = [sale(rrn(1), "195.50", "10:01", order_no="O-1"), sale(rrn(2), "195.50", "10:04", order_no="O-1")]
    case.journal += lines
    case.settlement += [settled(line) for line in lines]
    found = run(case, tmp_path)
    assert [(f["kind"], f["rrn"], f["related_rrn"], f["expected_amount"]) for f in found] == [
        ("DUPLICATE_CHARGE", rrn(2), rrn(1), "0.00")]


def test_duplicate_without_order_number_is_not_an_unmatched_charge(tmp_path: Path) -> None:
    case = Case(orders=[order("O-1", "14.95", "10:00")])
    lines = [sale(rrn(1), "14.95", "10:01", order_no="O-1"), sale(rrn(2), "14.95", "10:06")]
    case.journal += lines
    case.settlement += [settled(line) for line in lines]
    assert kinds(run(case, tmp_path)) == [("DUPLICATE_CHARGE", rrn(2))]


def test_duplicate_window_is_anchored_at_the_first_sale_and_inclusive(tmp_path: Path) -> None:
    case = Case()
    clean_day(case)
    clocks = ["10:00:00", "10:10:00", "10:10:01", "10:15:00"]  # groups {10:00, 10:10}, {10:10:01, 10:15}
    lines = [sale(rrn(10 + i), "50.00", clock) for i, clock in enumerate(clocks)]
    case.journal += lines
    case.settlement += [settled(line) for line in lines]
    found = kinds(run(case, tmp_path))
    assert sorted(found) == [("DUPLICATE_CHARGE", rrn(11)), ("DUPLICATE_CHARGE", rrn(13)),
                             ("UNMATCHED_CHARGE", rrn(10)), ("UNMATCHED_CHARGE", rrn(12))]


def test_same_card_same_amount_for_two_orders_is_not_a_duplicate(tmp_path: Path) -> None:
    case = Case()
    case.paid("O-1", rrn(1), "88.00", "10:00")
    case.paid("O-2", rrn(2), "88.00", "10:03")
    assert run(case, tmp_path) == []


def test_refunded_second_charge_is_not_a_duplicate(tmp_path: Path) -> None:
    case = Case(orders=[order("O-1", "60.00", "10:00")])
    lines = [sale(rrn(1), "60.00", "10:01", order_no="O-1"), sale(rrn(2), "60.00", "10:02", order_no="O-1")]
    refund = undo("REFUND", rrn(3), "60.00", "10:30", rrn(2), order_no="O-1")
    case.journal += [*lines, refund]
    case.settlement += [settled(line) for line in [*lines, refund]]
    assert run(case, tmp_path) == []


def test_different_tokens_behind_one_masked_card_are_different_cards(tmp_path: Path) -> None:
    twin = CARD[:6] + "123456789" + CARD[-4:]  # same first six and last four, another card
    case = Case(orders=[order("O-1", "30.00", "10:00")])
    lines = [sale(rrn(1), "30.00", "10:01", order_no="O-1", card=CARD), sale(rrn(2), "30.00", "10:02", card=twin)]
    case.journal += lines
    case.settlement += [settled(line) for line in lines]
    assert kinds(run(case, tmp_path)) == [("UNMATCHED_CHARGE", rrn(2))]


def test_masked_line_is_the_same_card_as_a_tokened_line_with_that_mask(tmp_path: Path) -> None:
    masked = CARD[:6] + "*" * (len(CARD) - 10) + CARD[-4:]
    case = Case(orders=[order("O-1", "30.00", "10:00")])
    lines = [sale(rrn(1), "30.00", "10:01", order_no="O-1", card=CARD), sale(rrn(2), "30.00", "10:02", card=masked)]
    case.journal += lines
    case.settlement += [settled(line) for line in lines]
    assert kinds(run(case, tmp_path)) == [("DUPLICATE_CHARGE", rrn(2))]


def test_declined_then_approved_retry_is_clean(tmp_path: Path) -> None:
    case = Case(orders=[order("O-1", "229.80", "13:30")])
    declined = sale(rrn(1), "229.80", "13:35", order_no="O-1", status="DECLINED")
    approved = sale(rrn(2), "229.80", "13:37", order_no="O-1")
    case.journal += [declined, approved]
    case.settlement.append(settled(approved))
    assert run(case, tmp_path) == []


def test_failed_sale_the_settlement_cleared_is_debited_but_failed(tmp_path: Path) -> None:
    case = Case(orders=[order("O-1", "50.20", "15:10")])
    failed = sale(rrn(1), "50.20", "15:13", order_no="O-1", status="FAILED")
    case.journal.append(failed)
    case.settlement.append(settled(failed))
    found = run(case, tmp_path)
    assert kinds(found) == [("DEBITED_BUT_FAILED", rrn(1))]  # its order is not also unpaid
    assert found[0]["charged_amount"] == "50.20"
    assert found[0]["expected_amount"] == "0.00"


def test_reversed_sale_the_settlement_cleared_names_its_reversal(tmp_path: Path) -> None:
    case = Case(orders=[order("O-1", "70.70", "10:30")])
    timed_out = sale(rrn(1), "70.70", "10:39", order_no="O-1", status="TIMEOUT")
    reversal = undo("REVERSAL", rrn(2), "70.70", "10:40", rrn(1), order_no="O-1")
    case.journal += [timed_out, reversal]
    case.settlement.append(settled(timed_out))
    found = run(case, tmp_path)
    assert [(f["kind"], f["rrn"], f["related_rrn"]) for f in found] == [("DEBITED_BUT_FAILED", rrn(1), rrn(2))]


def test_reversal_the_settlement_also_shows_is_not_debited_but_failed(tmp_path: Path) -> None:
    case = Case()
    clean_day(case)
    case.orders.append(order("O-1", "49.94", "21:00"))
    timed_out = sale(rrn(1), "49.94", "21:10", order_no="O-1", status="TIMEOUT")
    reversal = undo("REVERSAL", rrn(2), "49.94", "21:11", rrn(1), order_no="O-1")
    retry = sale(rrn(3), "49.94", "21:12", order_no="O-1")
    case.journal += [timed_out, reversal, retry]
    case.settlement += [settled(timed_out), settled(reversal), settled(retry)]
    assert run(case, tmp_path) == []


def test_failed_line_without_rrn_matches_settlement_by_stan_and_time(tmp_path: Path) -> None:
    case = Case(orders=[order("O-1", "20.00", "09:00")])
    failed = sale("", "20.00", "09:01", order_no="O-1", status="FAILED", stan="000777")
    case.journal.append(failed)
    line = settled({**failed, "rrn": rrn(7)}) | {"txn_time": "2026-10-12T09:04:00+08:00", "stan": "000777"}
    case.settlement.append(line)
    found = run(case, tmp_path)
    assert [f["kind"] for f in found] == ["DEBITED_BUT_FAILED"]


def test_voided_sale_the_settlement_cleared(tmp_path: Path) -> None:
    case = Case(orders=[order("O-1", "24.50", "12:50")])
    first = sale(rrn(1), "24.50", "12:52", order_no="O-1")
    void = undo("VOID", rrn(2), "24.50", "12:55", rrn(1), order_no="O-1")
    again = sale(rrn(3), "24.50", "12:57", order_no="O-1")
    case.journal += [first, void, again]
    case.settlement += [settled(first), settled(again)]
    found = run(case, tmp_path)
    assert [(f["kind"], f["rrn"], f["related_rrn"]) for f in found] == [("VOIDED_BUT_SETTLED", rrn(1), rrn(2))]


def test_legitimate_void_and_new_charge_are_clean(tmp_path: Path) -> None:
    case = Case(orders=[order("O-1", "28.77", "19:27")])
    keyed = sale(rrn(1), "287.70", "19:28", order_no="O-1")
    void = undo("VOID", rrn(2), "287.70", "19:30", rrn(1), order_no="O-1")
    right = sale(rrn(3), "28.77", "19:32", order_no="O-1")
    case.journal += [keyed, void, right]
    case.settlement.append(settled(right))
    assert run(case, tmp_path) == []


def test_unsettled_sale_only_on_days_the_settlement_covers(tmp_path: Path) -> None:
    case = Case()
    clean_day(case)
    case.orders += [order("O-1", "33.00", "11:00"), order("O-2", "44.00", "11:00")]
    case.orders[-1]["created_at"] = "2026-10-13T11:00:00+08:00"
    case.journal += [sale(rrn(1), "33.00", "11:01", order_no="O-1"),
                     sale(rrn(2), "44.00", "11:01", order_no="O-2") | {"txn_time": "2026-10-13T11:01:00+08:00"}]
    found = run(case, tmp_path)
    assert kinds(found) == [("UNSETTLED", rrn(1))]  # 13 October: the settlement holds nothing, no judgement
    assert (found[0]["charged_amount"], found[0]["expected_amount"]) == ("0.00", "33.00")


def test_settlement_amount_differing_from_the_journal(tmp_path: Path) -> None:
    case = Case(orders=[order("O-1", "76.00", "10:00")])
    line = sale(rrn(1), "76.00", "10:01", order_no="O-1")
    case.journal.append(line)
    case.settlement.append(settled(line, "67.00"))
    found = run(case, tmp_path)
    assert [(f["kind"], f["charged_amount"], f["expected_amount"]) for f in found] == [
        ("SETTLEMENT_MISMATCH", "67.00", "76.00")]


def test_settlement_line_without_journal_line(tmp_path: Path) -> None:
    case = Case()
    clean_day(case)
    ghost = sale(rrn(5), "12.00", "16:00")
    case.settlement.append(settled(ghost))
    assert kinds(run(case, tmp_path)) == [("UNKNOWN_SETTLEMENT", rrn(5))]


def test_refund_missing_from_covered_settlement(tmp_path: Path) -> None:
    case = Case()
    line = case.paid("O-1", rrn(1), "430.00", "10:00")
    refund = undo("REFUND", rrn(2), "163.52", "15:29", rrn(1), order_no="O-1")
    case.journal.append(refund)
    found = run(case, tmp_path)
    assert [(f["kind"], f["rrn"], f["related_rrn"], f["expected_amount"]) for f in found] == [
        ("REFUND_NOT_SETTLED", rrn(2), line["rrn"], "163.52")]


def test_refunds_past_the_sale_are_one_over_refund_at_the_refund_that_crossed(tmp_path: Path) -> None:
    case = Case()
    case.paid("O-1", rrn(1), "46.62", "10:00")
    refunds = [undo("REFUND", rrn(2), "28.25", "11:00", rrn(1)), undo("REFUND", rrn(3), "32.38", "12:00", rrn(1)),
               undo("REFUND", rrn(4), "5.00", "13:00", rrn(1))]
    case.journal += refunds
    case.settlement += [settled(refund) for refund in refunds]
    found = run(case, tmp_path)
    assert [(f["kind"], f["rrn"], f["related_rrn"], f["charged_amount"], f["expected_amount"]) for f in found] == [
        ("OVER_REFUND", rrn(3), rrn(1), "60.63", "46.62")]


def test_full_refund_is_clean(tmp_path: Path) -> None:
    case = Case()
    case.paid("O-1", rrn(1), "46.62", "10:00")
    refund = undo("REFUND", rrn(2), "46.62", "11:00", rrn(1))
    case.journal.append(refund)
    case.settlement.append(settled(refund))
    assert run(case, tmp_path) == []


def test_settlement_under_another_category_than_registered(tmp_path: Path) -> None:
    case = Case(merchants=[{"merchant_id": MERCHANT, "name": "明珠餐厅", "mcc": "5812",
                            "timezone": "Asia/Shanghai", "tenant": "ACQ"}])
    line = case.paid("O-1", rrn(1), "300.00", "10:00")
    case.settlement[-1]["mcc"] = "5411"
    case.paid("O-2", rrn(2), "10.00", "11:00")
    found = run(case, tmp_path)
    assert [(f["kind"], f["rrn"], f["difference"]) for f in found] == [("MCC_MISMATCH", line["rrn"], "0.00")]


def test_mcc_is_not_judged_without_a_registry(tmp_path: Path) -> None:
    case = Case()
    case.paid("O-1", rrn(1), "300.00", "10:00")
    case.settlement[-1]["mcc"] = "5411"
    assert run(case, tmp_path) == []


def test_charge_without_order_only_on_days_the_orders_cover(tmp_path: Path) -> None:
    case = Case()
    clean_day(case)
    stray = sale(rrn(1), "66.00", "14:00")
    other_day = sale(rrn(2), "77.00", "14:00") | {"txn_time": "2026-10-13T14:00:00+08:00"}
    case.journal += [stray, other_day]
    case.settlement += [settled(stray), settled(other_day)]
    assert kinds(run(case, tmp_path)) == [("UNMATCHED_CHARGE", rrn(1))]


def test_rule_two_links_a_sale_without_order_number(tmp_path: Path) -> None:
    case = Case(orders=[order("O-1", "12.80", "10:00", terminal=OTHER_TERMINAL), order("O-2", "128.00", "10:20")])
    line = sale(rrn(1), "1280.00", "10:30")  # 10 minutes from O-2, related amount; O-1 is another terminal
    case.journal.append(line)
    case.settlement.append(settled(line))
    found = run(case, tmp_path)
    assert sorted((f["kind"], f["cause"], f["order_no"]) for f in found) == [
        ("OVERCHARGE", "EXTRA_DIGIT", "O-2"), ("UNPAID_ORDER", "", "O-1")]


def test_rule_two_prefers_equal_amounts_then_nearest_time(tmp_path: Path) -> None:
    case = Case(orders=[order("O-NEAR", "1280.00", "10:29"), order("O-EQUAL", "128.00", "10:00"),
                        order("O-FAR", "128.00", "11:00")])
    line = sale(rrn(1), "128.00", "10:30")
    case.journal.append(line)
    case.settlement.append(settled(line))
    found = run(case, tmp_path)
    assert sorted(kinds(found)) == [("UNPAID_ORDER", "O-FAR"), ("UNPAID_ORDER", "O-NEAR")]


def test_rule_two_window_is_thirty_minutes_inclusive(tmp_path: Path) -> None:
    case = Case(orders=[order("O-1", "10.00", "10:00"), order("O-2", "10.00", "12:00")])
    inside, outside = sale(rrn(1), "10.00", "10:30:00"), sale(rrn(2), "10.00", "12:30:01", card=OTHER_CARD)
    case.journal += [inside, outside]
    case.settlement += [settled(inside), settled(outside)]
    assert sorted(kinds(run(case, tmp_path))) == [("UNMATCHED_CHARGE", rrn(2)), ("UNPAID_ORDER", "O-2")]


def test_order_without_payment_is_unpaid_unless_its_sale_was_debited_but_failed(tmp_path: Path) -> None:
    case = Case()
    clean_day(case)
    case.orders += [order("O-1", "128.00", "11:00"), order("O-2", "95.11", "19:30")]
    case.journal.append(sale(rrn(1), "128.00", "11:05", order_no="O-1", status="TIMEOUT"))
    case.journal.append(sale(rrn(2), "95.11", "19:32", order_no="O-2", status="DECLINED"))
    assert sorted(kinds(run(case, tmp_path))) == [("UNPAID_ORDER", "O-1"), ("UNPAID_ORDER", "O-2")]


def test_preauth_is_never_a_sale_and_its_completion_is(tmp_path: Path) -> None:
    case = Case(orders=[order("O-1", "880.00", "10:00")])
    hold = sale(rrn(1), "1000.00", "08:00", order_no="O-1", txn_type="PREAUTH")
    complete = sale(rrn(2), "880.00", "10:01", order_no="O-1", txn_type="PREAUTH_COMPLETE")
    case.journal += [hold, complete]
    case.settlement.append(settled(complete))
    assert run(case, tmp_path) == []


def test_merchant_id_is_part_of_the_order_link(tmp_path: Path) -> None:
    case = Case(orders=[order("O-1", "10.00", "10:00") | {"merchant_id": "898584058121999"}])
    line = sale(rrn(1), "10.00", "10:01", order_no="O-1")
    case.journal.append(line)
    case.settlement.append(settled(line))
    found = run(case, tmp_path)
    assert sorted(kinds(found)) == [("UNPAID_ORDER", "O-1")]  # another merchant's order; no order that day
