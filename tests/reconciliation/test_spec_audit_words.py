"""SPEC section 4 "Words", sentence by sentence, on the smallest inputs that tell the readings apart.

Each test runs the real file reconciliation and asserts the exact findings.
"""

from __future__ import annotations

from pathlib import Path

from recon_cases import CARD, MERCHANT, OTHER_CARD, OTHER_TERMINAL, Case, at, order, rrn, sale, settled, undo
from recon_cases import found_related as found

THIRD_CARD = "6228480402564890018"
TOKYO = [{"merchant_id": MERCHANT, "name": "东京店", "mcc": "5812", "timezone": "Asia/Tokyo", "tenant": "ACQ"}]


def test_a_preauth_is_never_a_sale(tmp_path: Path) -> None:
    """"a PREAUTH only holds funds and is never a sale": an unsettled PREAUTH on a covered day is not
    UNSETTLED, one without order_no near an order does not pay it, two alike are no duplicate."""
    case = Case(orders=[order("O-1", "300.00", "10:00")])
    case.paid("CLEAN", rrn(99), "10.00", "08:00")
    case.journal += [sale(rrn(1), "300.00", "10:01", txn_type="PREAUTH"),
                     sale(rrn(2), "300.00", "10:02", txn_type="PREAUTH")]
    assert found(case, tmp_path) == [("UNPAID_ORDER", "", "", "O-1")]


def test_a_preauth_completion_is_a_sale(tmp_path: Path) -> None:
    """"A *sale* is a journal line of type SALE or PREAUTH_COMPLETE": unsettled on a covered day it is
    UNSETTLED, and without order_no it links by rule 2."""
    case = Case(orders=[order("O-1", "880.00", "10:00")])
    case.paid("CLEAN", rrn(99), "10.00", "08:00")
    case.journal.append(sale(rrn(1), "880.00", "10:05", txn_type="PREAUTH_COMPLETE"))
    assert found(case, tmp_path) == [("UNSETTLED", rrn(1), "", "")]


def test_a_refund_does_not_undo_the_sale(tmp_path: Path) -> None:
    """"a refund returns money later; it does not undo the sale": the fully refunded sale still pays its
    order (no UNPAID_ORDER) and still needs its settlement line (UNSETTLED)."""
    case = Case(orders=[order("O-1", "10.00", "10:00")])
    case.paid("CLEAN", rrn(99), "1.00", "08:00")
    refund = undo("REFUND", rrn(2), "10.00", "11:00", rrn(1))
    case.journal += [sale(rrn(1), "10.00", "10:01", order_no="O-1"), refund]
    case.settlement.append(settled(refund))
    assert found(case, tmp_path) == [("UNSETTLED", rrn(1), "", "O-1")]


def test_an_approved_reversal_takes_the_sale_out_of_force(tmp_path: Path) -> None:
    """"in force when it is APPROVED and no approved VOID or REVERSAL names it": a reversed sale pays no
    order and is not UNSETTLED; the reversal's settlement line and the sale's both missing is clean."""
    case = Case(orders=[order("O-1", "10.00", "10:00")])
    case.paid("CLEAN", rrn(99), "1.00", "08:00")
    case.journal += [sale(rrn(1), "10.00", "10:01", order_no="O-1"),
                     undo("REVERSAL", rrn(2), "10.00", "10:02", rrn(1))]
    assert found(case, tmp_path) == [("UNPAID_ORDER", "", "", "O-1")]


def test_a_reversal_that_failed_leaves_the_sale_in_force(tmp_path: Path) -> None:
    """Only an *approved* VOID or REVERSAL takes a sale out of force: after a declined void the sale still
    pays its order and, unsettled on a covered day, is UNSETTLED."""
    case = Case(orders=[order("O-1", "10.00", "10:00")])
    case.paid("CLEAN", rrn(99), "1.00", "08:00")
    case.journal += [sale(rrn(1), "10.00", "10:01", order_no="O-1"),
                     undo("VOID", rrn(2), "10.00", "10:02", rrn(1), status="DECLINED")]
    assert found(case, tmp_path) == [("UNSETTLED", rrn(1), "", "O-1")]


def test_a_masked_line_is_the_same_card_as_a_line_with_that_pan(tmp_path: Path) -> None:
    """"two lines show the same card when their masked forms are equal and, where both have a token,
    their tokens are equal": full PAN then its masked form, same amount, 3 minutes apart, is a duplicate."""
    masked = CARD[:6] + "*" * (len(CARD) - 10) + CARD[-4:]
    case = Case()
    case.paid("CLEAN", rrn(99), "1.00", "08:00")
    lines = [sale(rrn(1), "30.00", "10:01", card=masked), sale(rrn(2), "30.00", "10:04", card=CARD)]
    case.journal += lines
    case.settlement += [settled(line) for line in lines]
    assert found(case, tmp_path) == [("DUPLICATE_CHARGE", rrn(2), rrn(1), ""), ("UNMATCHED_CHARGE", rrn(1), "", "")]


def test_two_pans_behind_one_mask_are_two_cards(tmp_path: Path) -> None:
    """"where both have a token, their tokens are equal": two full PANs with the same first six and last four
    are different cards, so no duplicate."""
    twin = CARD[:6] + "987654321" + CARD[-4:]
    case = Case()
    case.paid("CLEAN", rrn(99), "1.00", "08:00")
    lines = [sale(rrn(1), "30.00", "10:01", card=CARD), sale(rrn(2), "30.00", "10:04", card=twin)]
    case.journal += lines
    case.settlement += [settled(line) for line in lines]
    assert found(case, tmp_path) == [("UNMATCHED_CHARGE", rrn(1), "", ""), ("UNMATCHED_CHARGE", rrn(2), "", "")]


def test_same_transaction_needs_terminal_and_rrn(tmp_path: Path) -> None:
    """"the same transaction when their terminal and RRN are equal": the RRN on another terminal is another
    transaction (UNSETTLED sale and UNKNOWN_SETTLEMENT line)."""
    case = Case()
    case.paid("CLEAN", rrn(99), "1.00", "08:00")
    line = sale(rrn(1), "40.00", "10:01", card=OTHER_CARD)
    case.journal.append(line)
    case.settlement.append(settled(line) | {"terminal_id": OTHER_TERMINAL})
    assert found(case, tmp_path) == [("UNKNOWN_SETTLEMENT", rrn(1), "", ""), ("UNMATCHED_CHARGE", rrn(1), "", ""),
                                     ("UNSETTLED", rrn(1), "", "")]


def failed_without_rrn(settled_clock: str, *, stan: str | None = "000777", terminal: str | None = None,
                       amount: str = "20.00", status: str = "FAILED") -> Case:
    case = Case(orders=[order("O-1", "20.00", "09:00")])
    failed = sale("", "20.00", "09:01", order_no="O-1", status=status, stan="000777")
    case.journal.append(failed)
    line = settled({**failed, "rrn": rrn(7)}, amount) | {"txn_time": at(settled_clock)}
    if stan is not None:
        line["stan"] = stan
    if terminal is not None:
        line["terminal_id"] = terminal
    case.settlement.append(line)
    return case


def test_failed_line_without_rrn_is_matched_by_stan_within_five_minutes_inclusive(tmp_path: Path) -> None:
    """"for a FAILED or TIMEOUT line without RRN: terminal, STAN and time within 5 minutes": exactly 5
    minutes matches, both before and after. The finding names the RRN the settlement cleared it under
    (the journal line has none): a careful acquirer disputes it by that reference."""
    assert found(failed_without_rrn("09:06:00"), tmp_path / "after") == [("DEBITED_BUT_FAILED", rrn(7), "", "O-1")]
    assert found(failed_without_rrn("08:56:00", status="TIMEOUT"), tmp_path / "before") == [
        ("DEBITED_BUT_FAILED", rrn(7), "", "O-1")]


def test_stan_match_ends_after_five_minutes_and_at_another_terminal_or_stan(tmp_path: Path) -> None:
    """Past 5 minutes, at another terminal or with another STAN the lines are not the same transaction: the
    settlement line is UNKNOWN_SETTLEMENT and the order is unpaid."""
    unmatched = [("UNKNOWN_SETTLEMENT", rrn(7), "", "O-1"), ("UNPAID_ORDER", "", "", "O-1")]
    assert found(failed_without_rrn("09:06:01"), tmp_path / "late") == unmatched
    assert found(failed_without_rrn("09:02:00", terminal=OTHER_TERMINAL), tmp_path / "terminal") == unmatched
    assert found(failed_without_rrn("09:02:00", stan="000778"), tmp_path / "stan") == unmatched


def test_declined_line_without_rrn_is_not_matched_by_stan(tmp_path: Path) -> None:
    """The STAN rule is only "for a FAILED or TIMEOUT line without RRN" (an approved line always has one):
    a declined line is not matched, so the settlement line is unknown and the order unpaid."""
    case = failed_without_rrn("09:02:00", status="DECLINED")
    assert found(case, tmp_path) == [("UNKNOWN_SETTLEMENT", rrn(7), "", "O-1"), ("UNPAID_ORDER", "", "", "O-1")]


def test_settlement_without_stan_matches_a_failed_line_by_amount_and_time(tmp_path: Path) -> None:
    """The settlement columns of SPEC section 3 carry no STAN. Where a settlement line has none, an equal
    amount within the 5 minutes stands in for it (our reading); another amount does not match."""
    assert found(failed_without_rrn("09:04:00", stan=None), tmp_path / "equal") == [
        ("DEBITED_BUT_FAILED", rrn(7), "", "O-1")]
    assert found(failed_without_rrn("09:04:00", stan=None, amount="21.00"), tmp_path / "other") == [
        ("UNKNOWN_SETTLEMENT", rrn(7), "", "O-1"), ("UNPAID_ORDER", "", "", "O-1")]


def test_covered_days_are_merchant_local_days(tmp_path: Path) -> None:
    """"covers a merchant's day when it holds at least one line of that merchant with a txn_time on that day
    (merchant's local time)" and "a time without an offset is local time of the merchant": for a Tokyo
    merchant, 23:30+08:00 on the 12th is the 13th, so only the sale of Tokyo's 13th is judged unsettled."""
    case = Case(merchants=TOKYO)
    marker = sale(rrn(1), "10.00", "23:30")
    case.journal.append(marker)
    case.settlement.append(settled(marker))
    case.journal += [sale(rrn(2), "11.00", "12:00", card=OTHER_CARD) | {"txn_time": "2026-10-13T05:00:00"},
                     sale(rrn(3), "12.00", "12:00", card=THIRD_CARD) | {"txn_time": "2026-10-12T23:59:00"}]
    assert found(case, tmp_path) == [("UNSETTLED", rrn(2), "", "")]


def test_refunds_are_judged_only_on_covered_days(tmp_path: Path) -> None:
    """REFUND_NOT_SETTLED is "on a covered day", in merchant-local dates: the refund of Tokyo's 13th is
    due, the one of Tokyo's 12th is not judged."""
    case = Case(merchants=TOKYO)
    marker = sale(rrn(1), "10.00", "23:30")
    case.journal.append(marker)
    case.settlement.append(settled(marker))
    case.journal += [undo("REFUND", rrn(2), "5.00", "12:00", rrn(1)) | {"txn_time": "2026-10-13T00:10:00"},
                     undo("REFUND", rrn(3), "4.00", "12:00", rrn(1)) | {"txn_time": "2026-10-12T23:59:00"}]
    assert found(case, tmp_path) == [("REFUND_NOT_SETTLED", rrn(2), rrn(1), "")]


def test_orders_cover_merchant_local_days(tmp_path: Path) -> None:
    """"The orders cover a merchant's day when they hold an order of that merchant on that day": an order at
    Tokyo 23:50 covers Tokyo's 12th, so a stray sale at Tokyo 23:55 is UNMATCHED_CHARGE and one at Tokyo
    00:05 the next day is not judged."""
    case = Case(merchants=TOKYO, orders=[order("O-1", "99.00", "12:00") | {"created_at": "2026-10-12T23:50:00"}])
    lines = [sale(rrn(1), "10.00", "22:55"), sale(rrn(2), "11.00", "23:05", card=OTHER_CARD)]
    case.journal += lines
    case.settlement += [settled(line) for line in lines]
    assert found(case, tmp_path) == [("UNMATCHED_CHARGE", rrn(1), "", ""), ("UNPAID_ORDER", "", "", "O-1")]
