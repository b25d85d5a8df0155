"""SPEC section 4 "Duplicates" and the note under the kinds table, sentence by sentence."""

from __future__ import annotations

from pathlib import Path

from recon_cases import OTHER_CARD, Case, order, rrn, run, sale, settle_sales, settled, undo
from recon_cases import found_related as found


def covered_day(orders: list[dict[str, str]] | None = None) -> Case:
    """A case whose day the orders and the settlement cover (one clean paid order at 08:00)."""
    case = Case(orders=list(orders or []))
    case.paid("CLEAN", rrn(99), "1.00", "08:00")
    return case


def test_two_charges_of_one_order_are_a_duplicate_not_an_overcharge(tmp_path: Path) -> None:
    """"Two sales of the same card and amount under one order within the window are a duplicate, not an
    overcharge of their sum": the second is DUPLICATE_CHARGE naming the first; the order is paid exactly."""
    case = covered_day([order("O-1", "195.50", "10:00")])
    case.journal += [sale(rrn(1), "195.50", "10:01", order_no="O-1"), sale(rrn(2), "195.50", "10:11", order_no="O-1")]
    settle_sales(case)
    found_rows = run(case, tmp_path)
    assert [(f["kind"], f["rrn"], f["related_rrn"], f["order_no"]) for f in found_rows] == [
        ("DUPLICATE_CHARGE", rrn(2), rrn(1), "O-1")]
    assert (found_rows[0]["charged_amount"], found_rows[0]["expected_amount"], found_rows[0]["difference"]) == (
        "195.50", "0.00", "195.50")


def test_groups_are_anchored_at_their_first_sale(tmp_path: Path) -> None:
    """"the earliest sale opens a group that takes every later sale within 10 minutes of it (inclusive), and
    the next sale after that opens the next group": 10:00, 10:06, 10:12 make {10:00, 10:06} and {10:12}
    (10:12 is 6 minutes from 10:06 but 12 from the group's first)."""
    case = covered_day()
    case.journal += [sale(rrn(1), "50.00", "10:00"), sale(rrn(2), "50.00", "10:06"), sale(rrn(3), "50.00", "10:12")]
    settle_sales(case)
    assert found(case, tmp_path) == [("DUPLICATE_CHARGE", rrn(2), rrn(1), ""), ("UNMATCHED_CHARGE", rrn(1), "", ""),
                                     ("UNMATCHED_CHARGE", rrn(3), "", "")]


def test_equal_times_are_ordered_by_rrn(tmp_path: Path) -> None:
    """"in time order (then RRN)": two charges at the same second; the lower RRN is the group's first."""
    case = covered_day()
    case.journal += [sale(rrn(8), "50.00", "10:00"), sale(rrn(7), "50.00", "10:00")]
    settle_sales(case)
    assert found(case, tmp_path) == [("DUPLICATE_CHARGE", rrn(8), rrn(7), ""), ("UNMATCHED_CHARGE", rrn(7), "", "")]


def test_a_later_sale_linking_the_order_of_an_earlier_one_is_a_duplicate(tmp_path: Path) -> None:
    """"links to an order that an earlier sale of the group links to": of 1→O-1, 2→O-2, 3→O-1 only the third
    is a duplicate (of the group's first)."""
    case = covered_day([order("O-1", "50.00", "10:00"), order("O-2", "50.00", "10:02")])
    case.journal += [sale(rrn(1), "50.00", "10:01", order_no="O-1"), sale(rrn(2), "50.00", "10:03", order_no="O-2"),
                     sale(rrn(3), "50.00", "10:05", order_no="O-1")]
    settle_sales(case)
    assert found(case, tmp_path) == [("DUPLICATE_CHARGE", rrn(3), rrn(1), "O-1")]


def test_a_repeat_rule_two_cannot_link_is_a_duplicate(tmp_path: Path) -> None:
    """Linking comes "before any finding is decided": a repeat without order_no that rule 2 cannot link
    (its order is taken) links to no order and is a duplicate; the first is its order's payment."""
    case = covered_day([order("O-1", "14.95", "10:00")])
    case.journal += [sale(rrn(1), "14.95", "10:01"), sale(rrn(2), "14.95", "10:06")]
    settle_sales(case)
    assert found(case, tmp_path) == [("DUPLICATE_CHARGE", rrn(2), rrn(1), "")]


def test_a_refunded_sale_is_in_no_group(tmp_path: Path) -> None:
    """"Sales in force with no approved refund are grouped": once the first charge is refunded the other
    two form the group, and the third is the duplicate of the second."""
    case = covered_day([order("O-1", "50.00", "10:00")])
    case.journal += [sale(rrn(1), "50.00", "10:01", order_no="O-1"), sale(rrn(2), "50.00", "10:03", order_no="O-1"),
                     sale(rrn(3), "50.00", "10:05", order_no="O-1"),
                     undo("REFUND", rrn(9), "50.00", "10:30", rrn(1))]
    case.settlement += [settled(line) for line in case.journal]
    assert found(case, tmp_path) == [("DUPLICATE_CHARGE", rrn(3), rrn(2), "O-1")]


def test_a_declined_refund_does_not_take_the_sale_out_of_its_group(tmp_path: Path) -> None:
    """Only an *approved* refund removes a sale from the duplicate groups."""
    case = covered_day([order("O-1", "60.00", "10:00")])
    case.journal += [sale(rrn(1), "60.00", "10:01", order_no="O-1"), sale(rrn(2), "60.00", "10:02", order_no="O-1"),
                     undo("REFUND", rrn(3), "60.00", "10:30", rrn(2), status="DECLINED")]
    settle_sales(case)
    assert found(case, tmp_path) == [("DUPLICATE_CHARGE", rrn(2), rrn(1), "O-1")]


def test_a_voided_repeat_is_no_duplicate(tmp_path: Path) -> None:
    """Only sales "in force" are grouped: a repeat the cashier voided at once is clean."""
    case = covered_day([order("O-1", "50.00", "10:00")])
    case.journal += [sale(rrn(1), "50.00", "10:01", order_no="O-1"), sale(rrn(2), "50.00", "10:03", order_no="O-1"),
                     undo("VOID", rrn(3), "50.00", "10:04", rrn(2))]
    case.settlement.append(settled(case.journal[1]))
    assert found(case, tmp_path) == []


def test_preauths_are_never_duplicates_but_completions_are(tmp_path: Path) -> None:
    """Duplicates are among *sales*: two holds of one card and amount are none; a completion and a SALE of
    one card and amount 2 minutes apart are."""
    case = covered_day()
    case.journal += [sale(rrn(1), "300.00", "10:00", txn_type="PREAUTH"),
                     sale(rrn(2), "300.00", "10:01", txn_type="PREAUTH"),
                     sale(rrn(3), "80.00", "11:00", txn_type="PREAUTH_COMPLETE"), sale(rrn(4), "80.00", "11:02")]
    case.settlement += [settled(line) for line in case.journal]
    assert found(case, tmp_path) == [("DUPLICATE_CHARGE", rrn(4), rrn(3), ""), ("UNMATCHED_CHARGE", rrn(3), "", "")]


def test_split_tender_of_one_card_in_different_amounts_is_no_duplicate(tmp_path: Path) -> None:
    """"Several payments of one order (split tender ...) are normal; only their sum is compared": groups are by
    amount, so 100.00 + 200.00 of one card for a 300.00 order is clean."""
    case = covered_day([order("O-1", "300.00", "10:00")])
    case.journal += [sale(rrn(1), "100.00", "10:01", order_no="O-1"), sale(rrn(2), "200.00", "10:02", order_no="O-1")]
    settle_sales(case)
    assert found(case, tmp_path) == []


def test_split_tender_of_two_cards_in_equal_amounts_is_no_duplicate(tmp_path: Path) -> None:
    """Groups are by card: two cards paying 150.00 each for a 300.00 order are two payments."""
    case = covered_day([order("O-1", "300.00", "10:00")])
    case.journal += [sale(rrn(1), "150.00", "10:01", order_no="O-1"),
                     sale(rrn(2), "150.00", "10:02", order_no="O-1", card=OTHER_CARD)]
    settle_sales(case)
    assert found(case, tmp_path) == []


def test_an_order_paid_only_by_a_duplicate_pair_is_undercharged_by_its_payments(tmp_path: Path) -> None:
    """"An order's *payments* are the sales linked to it that are not duplicates": one card charged 50.00
    twice for a 100.00 order is one duplicate and one payment of 50.00, so also UNDERCHARGE (OTHER)."""
    case = covered_day([order("O-1", "100.00", "10:00")])
    case.journal += [sale(rrn(1), "50.00", "10:01", order_no="O-1"), sale(rrn(2), "50.00", "10:02", order_no="O-1")]
    settle_sales(case)
    assert found(case, tmp_path) == [("DUPLICATE_CHARGE", rrn(2), rrn(1), "O-1"), ("UNDERCHARGE", rrn(1), "", "O-1")]


def test_the_window_holds_to_the_second_whatever_else_shares_the_card_and_amount(tmp_path: Path) -> None:
    """"within 10 minutes of it (inclusive)", through the engine, where SQL hands Python only the card-and-amount
    groups holding two sales within 10 minutes: 50.00 at 10:00:00 and 10:10:00 (exactly 10 minutes) is a
    duplicate; 60.00 at 10:00:00 and 10:10:01 is not, nor 70.00 an hour apart; 80.00 at 09:00, 10:00:00 and
    10:10:00 makes one duplicate, the group's first sale an hour after the key's first."""
    case = covered_day()
    case.journal += [sale(rrn(1), "50.00", "10:00:00"), sale(rrn(2), "50.00", "10:10:00"),
                     sale(rrn(3), "60.00", "10:00:00"), sale(rrn(4), "60.00", "10:10:01"),
                     sale(rrn(5), "70.00", "09:00"), sale(rrn(6), "70.00", "10:00"),
                     sale(rrn(7), "80.00", "09:00"), sale(rrn(8), "80.00", "10:00:00"),
                     sale(rrn(9), "80.00", "10:10:00")]
    settle_sales(case)
    duplicates = [(kind, sold, first) for kind, sold, first, _ in found(case, tmp_path) if kind == "DUPLICATE_CHARGE"]
    assert duplicates == [("DUPLICATE_CHARGE", rrn(2), rrn(1)), ("DUPLICATE_CHARGE", rrn(9), rrn(8))]
