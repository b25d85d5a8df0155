"""SPEC section 4 "Linking sales to orders", rules 1 and 2, at their edges: merchant, terminal, the inclusive
30 minutes, and every step of "best first" (equal amounts, nearest time, RRN, order number).
"""

from __future__ import annotations

from pathlib import Path

from recon_cases import (
    CARD,
    OTHER_CARD,
    OTHER_TERMINAL,
    TERMINAL,
    Case,
    order,
    rrn,
    sale,
    settle_sales,
    settled,
    undo,
)
from recon_cases import found_causes as found

OTHER_MERCHANT = "898584058121999"
THIRD_CARD = "6228480402564890018"


def test_rule_one_never_links_to_another_merchants_order(tmp_path: Path) -> None:
    """Rule 1: "whose order_no names an order of the same merchant": another merchant's order of that number
    is not linked; on a day the orders cover, the sale is UNMATCHED_CHARGE and that order UNPAID_ORDER."""
    case = Case(orders=[order("O-1", "10.00", "10:00") | {"merchant_id": OTHER_MERCHANT},
                        order("O-2", "5.00", "09:00")])
    case.journal += [sale(rrn(1), "10.00", "10:01", order_no="O-1"),
                     sale(rrn(2), "5.00", "09:01", order_no="O-2", card=OTHER_CARD)]
    settle_sales(case)
    assert found(case, tmp_path) == [("UNMATCHED_CHARGE", "", rrn(1), "O-1"), ("UNPAID_ORDER", "", "", "O-1")]


def test_a_sale_naming_a_missing_order_is_not_linked_by_rule_two(tmp_path: Path) -> None:
    """Rule 2 is for "each sale in force without order_no": a sale naming an order that does not exist stays
    unlinked even beside an order of its amount and time."""
    case = Case(orders=[order("O-1", "10.00", "10:00")])
    case.journal.append(sale(rrn(1), "10.00", "10:01", order_no="O-404"))
    settle_sales(case)
    assert found(case, tmp_path) == [("UNMATCHED_CHARGE", "", rrn(1), "O-404"), ("UNPAID_ORDER", "", "", "O-1")]


def test_an_order_named_only_by_a_voided_sale_is_free_for_rule_two(tmp_path: Path) -> None:
    """Rule 1 links only sales in force, so an order whose sale was voided is one "that no sale links to
    yet": the re-keyed sale without order_no links to it by rule 2 (an overcharge, not an unpaid order)."""
    case = Case(orders=[order("O-1", "28.77", "19:27")])
    case.journal += [sale(rrn(1), "28.77", "19:28", order_no="O-1"), undo("VOID", rrn(2), "28.77", "19:29", rrn(1)),
                     sale(rrn(3), "287.70", "19:32")]
    case.settlement.append(settled(case.journal[2]))
    assert found(case, tmp_path) == [("OVERCHARGE", "EXTRA_DIGIT", rrn(3), "O-1")]


def test_rule_two_skips_an_order_already_linked_by_rule_one(tmp_path: Path) -> None:
    """Rule 2 takes only an order "that no sale links to yet": the second sale, without order_no, cannot
    join the order its first sale named, so (another card) it is an unmatched charge."""
    case = Case(orders=[order("O-1", "10.00", "10:00")])
    case.journal += [sale(rrn(1), "10.00", "10:01", order_no="O-1"), sale(rrn(2), "10.00", "10:02", card=OTHER_CARD)]
    settle_sales(case)
    assert found(case, tmp_path) == [("UNMATCHED_CHARGE", "", rrn(2), "")]


def test_rule_two_respects_the_terminal_the_order_names(tmp_path: Path) -> None:
    """"an order of the same merchant (and terminal, where the order names one)": an order naming another
    terminal is not linked, one naming the sale's terminal or none is."""
    other = Case(orders=[order("O-1", "10.00", "10:00", terminal=OTHER_TERMINAL)])
    other.journal.append(sale(rrn(1), "10.00", "10:01"))
    settle_sales(other)
    assert found(other, tmp_path / "other") == [("UNMATCHED_CHARGE", "", rrn(1), ""), ("UNPAID_ORDER", "", "", "O-1")]
    same = Case(orders=[order("O-1", "10.00", "10:00", terminal=TERMINAL), order("O-2", "20.00", "11:00")])
    same.journal += [sale(rrn(1), "10.00", "10:01"), sale(rrn(2), "20.00", "11:01", card=OTHER_CARD)]
    settle_sales(same)
    assert found(same, tmp_path / "same") == []


def test_rule_two_window_is_thirty_minutes_either_way_inclusive(tmp_path: Path) -> None:
    """"created within 30 minutes of the sale either way (inclusive)": an order 30:00 after the sale and one
    30:00 before link; 30:01 does not."""
    case = Case(orders=[order("O-AFTER", "10.00", "10:30:00"), order("O-BEFORE", "20.00", "11:30:00"),
                        order("O-LATE", "30.00", "13:30:01")])
    case.journal += [sale(rrn(1), "10.00", "10:00:00"), sale(rrn(2), "20.00", "12:00:00", card=OTHER_CARD),
                     sale(rrn(3), "30.00", "13:00:00", card=THIRD_CARD)]
    settle_sales(case)
    assert found(case, tmp_path) == [("UNMATCHED_CHARGE", "", rrn(3), ""), ("UNPAID_ORDER", "", "", "O-LATE")]


def test_rule_two_needs_a_plausibly_related_amount(tmp_path: Path) -> None:
    """"with a plausibly related amount": 70.90 for 70.00 is OTHER, so no link."""
    case = Case(orders=[order("O-1", "70.00", "10:00")])
    case.journal.append(sale(rrn(1), "70.90", "10:01"))
    settle_sales(case)
    assert found(case, tmp_path) == [("UNMATCHED_CHARGE", "", rrn(1), ""), ("UNPAID_ORDER", "", "", "O-1")]


def test_equal_amount_beats_a_nearer_related_one(tmp_path: Path) -> None:
    """"equal amounts before related ones": the equal order 25 minutes away wins over a x10 order 1 minute
    away, which stays unpaid."""
    case = Case(orders=[order("O-EQUAL", "12.80", "10:05"), order("O-NEAR", "128.00", "10:29")])
    case.journal.append(sale(rrn(1), "12.80", "10:30"))
    settle_sales(case)
    assert found(case, tmp_path) == [("UNPAID_ORDER", "", "", "O-NEAR")]


def test_nearest_time_among_related_amounts(tmp_path: Path) -> None:
    """"then the nearest in time": of two related orders the nearer takes the sale, whatever the cause."""
    case = Case(orders=[order("O-FAR", "12.80", "10:00"), order("O-NEAR", "1.28", "10:20")])
    case.journal.append(sale(rrn(1), "128.00", "10:25"))
    settle_sales(case)
    assert found(case, tmp_path) == [("OVERCHARGE", "DECIMAL_SHIFT", rrn(1), "O-NEAR"),
                                     ("UNPAID_ORDER", "", "", "O-FAR")]


def test_equal_distance_falls_to_the_lower_rrn(tmp_path: Path) -> None:
    """"then by RRN": two sales 5 minutes either side of one order; the lower RRN (the later sale) wins."""
    case = Case(orders=[order("O-1", "10.00", "10:00")])
    case.journal += [sale(rrn(1), "10.00", "10:05"), sale(rrn(2), "10.00", "09:55", card=OTHER_CARD)]
    settle_sales(case)
    assert found(case, tmp_path) == [("UNMATCHED_CHARGE", "", rrn(2), "")]


def test_then_by_order_number(tmp_path: Path) -> None:
    """"and order number": one sale 5 minutes either side of two equal orders links to the lower number."""
    case = Case(orders=[order("O-B", "10.00", "09:55"), order("O-A", "10.00", "10:05")])
    case.journal.append(sale(rrn(1), "10.00", "10:00"))
    settle_sales(case)
    assert found(case, tmp_path) == [("UNPAID_ORDER", "", "", "O-B")]


def test_best_first_is_over_all_pairs_not_sale_by_sale(tmp_path: Path) -> None:
    """"Candidate pairs are taken best first ... each sale and each order is used at most once": sale 1's best
    order O-1 (20 minutes) goes to sale 2 (5 minutes), so sale 1 takes its related order O-2."""
    case = Case(orders=[order("O-1", "10.00", "10:00"), order("O-2", "100.00", "10:21")])
    case.journal += [sale(rrn(1), "10.00", "10:20"), sale(rrn(2), "10.00", "10:05", card=OTHER_CARD)]
    settle_sales(case)
    assert found(case, tmp_path) == [("UNDERCHARGE", "MISSING_DIGIT", rrn(1), "O-2")]


def test_each_order_is_used_once_by_rule_two(tmp_path: Path) -> None:
    """"each sale and each order is used at most once": two equal sales of different cards and one order;
    the nearer links, the other is an unmatched charge (not a split payment)."""
    case = Case(orders=[order("O-1", "10.00", "10:00")])
    case.journal += [sale(rrn(1), "10.00", "10:02", card=CARD), sale(rrn(2), "10.00", "10:01", card=OTHER_CARD)]
    settle_sales(case)
    assert found(case, tmp_path) == [("UNMATCHED_CHARGE", "", rrn(1), "")]


def test_a_cancelled_or_failed_sale_is_not_linked_by_rule_two(tmp_path: Path) -> None:
    """Rule 2 is for sales "in force": a voided sale and a failed one without order_no leave the order unpaid."""
    case = Case(orders=[order("O-1", "10.00", "10:00")])
    case.journal += [sale(rrn(1), "10.00", "10:01"), undo("VOID", rrn(2), "10.00", "10:02", rrn(1)),
                     sale(rrn(3), "10.00", "10:03", status="FAILED", card=OTHER_CARD)]
    assert found(case, tmp_path) == [("UNPAID_ORDER", "", "", "O-1")]
