"""Duplicate groups: anchored 10-minute windows, order links and card identity."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from recoup.reconciliation.duplicates import SaleForDuplicates, find_duplicates

T0 = datetime(2026, 10, 12, 2, 0)


def sale(line: int, seconds: int, order: int | None = None, token: str | None = "tok-a",
         masked: str = "621700*********0621", amount: int = 5000) -> SaleForDuplicates:
    return SaleForDuplicates(line, "898584058121917", masked, token, amount, "CNY", T0 + timedelta(seconds=seconds),
                             f"{line:012d}", order)


def test_second_sale_without_order_is_a_duplicate_of_the_first() -> None:
    assert find_duplicates([sale(1, 0, order=100), sale(2, 120)]) == [(2, 1)]


def test_second_sale_of_the_same_order_is_a_duplicate() -> None:
    assert find_duplicates([sale(1, 0, order=100), sale(2, 120, order=100)]) == [(2, 1)]


def test_two_orders_are_two_purchases() -> None:
    assert find_duplicates([sale(1, 0, order=100), sale(2, 120, order=101)]) == []


def test_window_is_inclusive_and_anchored_at_the_first_sale() -> None:
    sales = [sale(1, 0), sale(2, 600), sale(3, 601), sale(4, 900)]
    assert sorted(find_duplicates(sales)) == [(2, 1), (4, 3)]


def test_other_amount_or_card_is_another_group() -> None:
    assert find_duplicates([sale(1, 0), sale(2, 60, amount=5001)]) == []
    assert find_duplicates([sale(1, 0), sale(2, 60, masked="622848******1234")]) == []


def test_two_tokens_are_two_cards_and_an_untokened_line_matches_a_single_token() -> None:
    assert find_duplicates([sale(1, 0, token="tok-a"), sale(2, 60, token="tok-b")]) == []
    assert find_duplicates([sale(1, 0, token="tok-a"), sale(2, 60, token=None)]) == [(2, 1)]


@given(st.lists(st.tuples(st.integers(0, 3600), st.one_of(st.none(), st.integers(100, 103))), max_size=25))
def test_the_first_sale_of_a_group_is_never_a_duplicate_and_input_order_does_not_matter(
        raw: list[tuple[int, int | None]]) -> None:
    sales = [sale(i + 1, seconds, order) for i, (seconds, order) in enumerate(raw)]
    found = find_duplicates(sales)
    duplicates = {dup for dup, _ in found}
    assert not duplicates & {first for _, first in found}
    assert sorted(find_duplicates(list(reversed(sales)))) == sorted(found)
    by_line = {s.line: s for s in sales}
    for dup, first in found:
        assert timedelta(0) <= by_line[dup].txn_time - by_line[first].txn_time <= timedelta(minutes=10)
