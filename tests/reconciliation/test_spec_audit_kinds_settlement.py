"""SPEC section 4, the kinds table: the rows that compare the journal with the settlement."""

from __future__ import annotations

from pathlib import Path

from recon_cases import MERCHANT, OTHER_CARD, Case, order, rrn, run, sale, settled, undo
from recon_cases import found_related as found


def amounts(case: Case, folder: Path) -> list[tuple[str, str, str, str]]:
    """(kind, charged_amount, expected_amount, difference) of each finding."""
    return [(f["kind"], f["charged_amount"], f["expected_amount"], f["difference"]) for f in run(case, folder)]


def one_order(amount: str = "10.00") -> Case:
    case = Case(orders=[order("O-1", amount, "10:00")])
    case.paid("CLEAN", rrn(99), "1.00", "08:00")
    return case


def test_timeout_sale_the_settlement_cleared_is_debited_but_failed(tmp_path: Path) -> None:
    """DEBITED_BUT_FAILED: "a SALE that is FAILED or TIMEOUT ... which the settlement shows cleared"; the order
    it names is not also unpaid ("named by no sale of a DEBITED_BUT_FAILED finding")."""
    case = one_order()
    timed_out = sale(rrn(1), "10.00", "10:01", order_no="O-1", status="TIMEOUT")
    case.journal.append(timed_out)
    case.settlement.append(settled(timed_out))
    assert found(case, tmp_path) == [("DEBITED_BUT_FAILED", rrn(1), "", "O-1")]
    assert amounts(case, tmp_path) == [("DEBITED_BUT_FAILED", "10.00", "0.00", "10.00")]


def test_a_declined_sale_is_not_debited_but_failed(tmp_path: Path) -> None:
    """The rule names FAILED and TIMEOUT only; "where they say nothing, no finding is due": a DECLINED sale the
    settlement shows cleared yields no DEBITED_BUT_FAILED (its order is unpaid)."""
    case = one_order()
    declined = sale(rrn(1), "10.00", "10:01", order_no="O-1", status="DECLINED")
    case.journal.append(declined)
    case.settlement.append(settled(declined))
    assert found(case, tmp_path) == [("UNPAID_ORDER", "", "", "O-1")]


def test_a_failed_completion_is_not_debited_but_failed(tmp_path: Path) -> None:
    """The row says "a SALE" (the type), not "a sale": a failed PREAUTH_COMPLETE the settlement cleared is no
    DEBITED_BUT_FAILED (our literal reading), and its order is unpaid."""
    case = one_order()
    failed = sale(rrn(1), "10.00", "10:01", order_no="O-1", status="FAILED", txn_type="PREAUTH_COMPLETE")
    case.journal.append(failed)
    case.settlement.append(settled(failed))
    assert found(case, tmp_path) == [("UNPAID_ORDER", "", "", "O-1")]


def test_a_reversal_in_any_status_makes_a_cleared_sale_debited_but_failed(tmp_path: Path) -> None:
    """"or that a REVERSAL line names (whatever the reversal's status)": an approved sale with a timed-out
    reversal (still in force: it pays its order) and a declined sale with a declined reversal both count;
    `related_rrn` is the reversal."""
    case = Case(orders=[order("O-1", "10.00", "10:00"), order("O-2", "20.00", "11:00")])
    first, second = sale(rrn(1), "10.00", "10:01", order_no="O-1"), sale(rrn(3), "20.00", "11:01", order_no="O-2",
                                                                         status="DECLINED", card=OTHER_CARD)
    case.journal += [first, undo("REVERSAL", rrn(2), "10.00", "10:02", rrn(1), status="TIMEOUT"),
                     second, undo("REVERSAL", rrn(4), "20.00", "11:02", rrn(3), status="DECLINED")]
    case.settlement += [settled(first), settled(second)]
    assert found(case, tmp_path) == [("DEBITED_BUT_FAILED", rrn(1), rrn(2), "O-1"),
                                     ("DEBITED_BUT_FAILED", rrn(3), rrn(4), "O-2")]


def test_an_approved_reversal_the_settlement_missed(tmp_path: Path) -> None:
    """An approved reversal takes the sale out of force, yet the settlement cleared the sale and not the
    reversal: DEBITED_BUT_FAILED, and its order is not also unpaid."""
    case = one_order()
    line = sale(rrn(1), "10.00", "10:01", order_no="O-1")
    case.journal += [line, undo("REVERSAL", rrn(2), "10.00", "10:02", rrn(1))]
    case.settlement.append(settled(line))
    assert found(case, tmp_path) == [("DEBITED_BUT_FAILED", rrn(1), rrn(2), "O-1")]


def test_a_settled_reversal_among_several_clears_the_debit(tmp_path: Path) -> None:
    """"with no settlement line for any of its reversals": one of two reversals settled means no finding."""
    case = one_order()
    line = sale(rrn(1), "10.00", "10:01", order_no="O-1", status="TIMEOUT")
    retry = undo("REVERSAL", rrn(3), "10.00", "10:03", rrn(1))
    case.journal += [line, undo("REVERSAL", rrn(2), "10.00", "10:02", rrn(1), status="TIMEOUT"), retry,
                     sale(rrn(4), "10.00", "10:04", order_no="O-1", card=OTHER_CARD)]
    case.settlement += [settled(line), settled(retry), settled(case.journal[-1])]
    assert found(case, tmp_path) == []


def test_a_failed_sale_the_settlement_never_cleared_is_only_an_unpaid_order(tmp_path: Path) -> None:
    """"which the settlement shows cleared": not cleared, no DEBITED_BUT_FAILED; its order has no payment."""
    case = one_order()
    case.journal.append(sale(rrn(1), "10.00", "10:01", order_no="O-1", status="FAILED"))
    assert found(case, tmp_path) == [("UNPAID_ORDER", "", "", "O-1")]


def test_voided_but_settled_needs_an_unsettled_void_and_a_cleared_sale(tmp_path: Path) -> None:
    """VOIDED_BUT_SETTLED: "an approved VOID with no settlement line whose sale the settlement shows cleared";
    `rrn` the sale, `related_rrn` the void. A void that settles too, or a sale never cleared, is no finding."""
    case = Case(orders=[order("O-1", "10.00", "10:00"), order("O-2", "20.00", "11:00"), order("O-3", "30.00", "12:00")])
    lines = [sale(rrn(1), "10.00", "10:01", order_no="O-1"), sale(rrn(3), "20.00", "11:01", order_no="O-2"),
             sale(rrn(5), "30.00", "12:01", order_no="O-3")]
    voids = [undo("VOID", rrn(2), "10.00", "10:02", rrn(1)), undo("VOID", rrn(4), "20.00", "11:02", rrn(3)),
             undo("VOID", rrn(6), "30.00", "12:02", rrn(5))]
    case.journal += lines + voids
    case.settlement += [settled(lines[0]), settled(lines[1]), settled(voids[1])]
    assert found(case, tmp_path) == [
        ("UNPAID_ORDER", "", "", "O-1"), ("UNPAID_ORDER", "", "", "O-2"), ("UNPAID_ORDER", "", "", "O-3"),
        ("VOIDED_BUT_SETTLED", rrn(1), rrn(2), "O-1")]


def test_unsettled_is_for_sales_in_force_on_covered_days(tmp_path: Path) -> None:
    """UNSETTLED: "a sale in force with no settlement line, on a covered day": the approved sale is due; the
    voided, the failed and the next (uncovered) day's sale are not. Charged 0, expected the journal amount."""
    case = one_order()
    case.journal += [sale(rrn(1), "10.00", "10:01", order_no="O-1"), sale(rrn(2), "20.00", "10:02", card=OTHER_CARD),
                     undo("VOID", rrn(3), "20.00", "10:03", rrn(2)), sale(rrn(4), "30.00", "10:04", status="FAILED"),
                     sale(rrn(5), "40.00", "10:05") | {"txn_time": "2026-10-13T10:05:00+08:00"}]
    assert found(case, tmp_path) == [("UNSETTLED", rrn(1), "", "O-1")]
    assert amounts(case, tmp_path) == [("UNSETTLED", "0.00", "10.00", "-10.00")]


def test_settlement_mismatch_names_the_line_and_signs_the_shortfall(tmp_path: Path) -> None:
    """SETTLEMENT_MISMATCH: "a settlement line whose amount differs from its journal line's (长款/短款)";
    charged the settlement amount, expected the journal amount, difference signed (短款 is negative)."""
    case = one_order("76.00")
    line = sale(rrn(1), "76.00", "10:01", order_no="O-1")
    case.journal.append(line)
    case.settlement.append(settled(line, "67.00"))
    assert found(case, tmp_path) == [("SETTLEMENT_MISMATCH", rrn(1), "", "O-1")]
    assert amounts(case, tmp_path) == [("SETTLEMENT_MISMATCH", "67.00", "76.00", "-9.00")]


def test_unknown_settlement_line(tmp_path: Path) -> None:
    """UNKNOWN_SETTLEMENT: "a settlement line with no journal line"; charged what cleared, expected 0."""
    case = Case()
    case.paid("CLEAN", rrn(99), "1.00", "08:00")
    case.settlement.append(settled(sale(rrn(5), "12.00", "16:00")))
    assert found(case, tmp_path) == [("UNKNOWN_SETTLEMENT", rrn(5), "", "")]
    assert amounts(case, tmp_path) == [("UNKNOWN_SETTLEMENT", "12.00", "0.00", "12.00")]


def test_refund_not_settled_only_approved_and_names_the_sale(tmp_path: Path) -> None:
    """REFUND_NOT_SETTLED: "an approved REFUND with no settlement line, on a covered day"; `related_rrn` "the
    sale of a refund". A declined refund is none, and neither is an unsettled void."""
    case = Case()
    case.paid("O-1", rrn(1), "430.00", "10:00")
    case.journal += [undo("REFUND", rrn(2), "163.52", "15:29", rrn(1)),
                     undo("REFUND", rrn(3), "10.00", "15:30", rrn(1), status="DECLINED"),
                     undo("VOID", rrn(4), "5.00", "15:31", rrn(1), status="DECLINED")]
    assert found(case, tmp_path) == [("REFUND_NOT_SETTLED", rrn(2), rrn(1), "")]
    assert amounts(case, tmp_path) == [("REFUND_NOT_SETTLED", "0.00", "163.52", "-163.52")]


def test_over_refund_by_a_void_and_a_refund_names_the_one_that_crossed(tmp_path: Path) -> None:
    """OVER_REFUND: "approved voids and refunds of one sale, in time order (then RRN), add up to more than the
    sale: one finding per sale"; at equal times the higher RRN comes second and crosses."""
    case = Case()
    case.paid("CLEAN", rrn(99), "1.00", "08:00")
    line = sale(rrn(1), "10.00", "10:00")
    refunds = [undo("REFUND", rrn(5), "6.00", "11:00", rrn(1)), undo("REFUND", rrn(4), "4.00", "11:00", rrn(1)),
               undo("REFUND", rrn(6), "1.00", "11:00", rrn(1)), undo("REFUND", rrn(7), "9.00", "12:00", rrn(1))]
    case.journal += [line, *refunds]
    case.settlement += [settled(x) for x in [line, *refunds]]
    assert found(case, tmp_path) == [("OVER_REFUND", rrn(6), rrn(1), ""), ("UNMATCHED_CHARGE", rrn(1), "", "")]
    assert amounts(case, tmp_path)[0] == ("OVER_REFUND", "11.00", "10.00", "1.00")


def test_a_void_counts_towards_an_over_refund(tmp_path: Path) -> None:
    """Voids count with refunds: a void of the whole sale then a refund of 1.00 over-refunds at the refund."""
    case = one_order()
    line = sale(rrn(1), "10.00", "10:01", order_no="O-1")
    void, refund = undo("VOID", rrn(3), "10.00", "10:05", rrn(1)), undo("REFUND", rrn(2), "1.00", "11:00", rrn(1))
    case.journal += [line, void, refund]
    case.settlement += [settled(void), settled(refund)]
    assert found(case, tmp_path) == [("OVER_REFUND", rrn(2), rrn(1), "O-1"), ("UNPAID_ORDER", "", "", "O-1")]


def test_refunds_adding_up_to_the_sale_exactly_are_no_over_refund(tmp_path: Path) -> None:
    """"add up to more than the sale": exactly the sale (and a declined refund beyond) is clean."""
    case = Case()
    case.paid("O-1", rrn(1), "10.00", "10:00")
    refunds = [undo("REFUND", rrn(2), "6.00", "11:00", rrn(1)), undo("REFUND", rrn(3), "4.00", "11:01", rrn(1)),
               undo("REFUND", rrn(4), "4.00", "11:02", rrn(1), status="DECLINED")]
    case.journal += refunds
    case.settlement += [settled(refund) for refund in refunds[:2]]
    assert found(case, tmp_path) == []


def test_mcc_mismatch_is_one_finding_per_line(tmp_path: Path) -> None:
    """MCC_MISMATCH: "a settlement line whose MCC differs from the merchant's registered MCC (跳码), one finding
    per line"; charged and expected are the line's amount, difference 0."""
    case = Case(merchants=[{"merchant_id": MERCHANT, "name": "明珠餐厅", "mcc": "5812", "timezone": "Asia/Shanghai",
                            "tenant": "ACQ"}])
    case.paid("O-1", rrn(1), "300.00", "10:00")
    case.paid("O-2", rrn(2), "20.00", "10:30")
    case.paid("O-3", rrn(3), "30.00", "11:00")
    case.settlement[0]["mcc"] = case.settlement[1]["mcc"] = "5411"
    assert found(case, tmp_path) == [("MCC_MISMATCH", rrn(1), "", "O-1"), ("MCC_MISMATCH", rrn(2), "", "O-2")]
    assert amounts(case, tmp_path)[0] == ("MCC_MISMATCH", "300.00", "300.00", "0.00")
