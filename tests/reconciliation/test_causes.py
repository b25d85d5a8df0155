"""Causes of an amount difference on minor-unit digit strings: the first that fits wins."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.reconciliation.causes import Cause, classify, plausibly_related


@pytest.mark.parametrize(("charged", "expected", "cause"), [
    (128000, 12800, Cause.EXTRA_DIGIT),  # 128.00 -> 1280.00
    (128800, 12800, Cause.EXTRA_DIGIT),  # 128.00 -> 1288.00
    (45300, 453, Cause.DECIMAL_SHIFT),  # 4.53 -> 453.00
    (453, 45300, Cause.DECIMAL_SHIFT),
    (100000, 1000, Cause.DECIMAL_SHIFT),  # 10.00 -> 1000.00: x100 comes first
    (1280, 12800, Cause.MISSING_DIGIT),
    (1200, 12500, Cause.MISSING_DIGIT),  # 125.00 -> 12.00: the 5 left out
    (5400, 4500, Cause.TRANSPOSED_DIGITS),
    (12354, 12345, Cause.TRANSPOSED_DIGITS),
    (7090, 7000, Cause.OTHER),
    (15432, 12345, Cause.OTHER),  # swapped digits that are not adjacent
])
def test_classify(charged: int, expected: int, cause: Cause) -> None:
    assert classify(charged, expected) is cause


def test_equal_amounts_have_no_cause() -> None:
    assert classify(12800, 12800) is None
    assert plausibly_related(12800, 12800)


def test_plausibly_related_excludes_other() -> None:
    assert plausibly_related(128000, 12800)
    assert not plausibly_related(7090, 7000)


@given(st.integers(min_value=1, max_value=10**12))
def test_times_hundred_is_a_decimal_shift_both_ways(minor: int) -> None:
    assert classify(minor * 100, minor) is Cause.DECIMAL_SHIFT
    assert classify(minor, minor * 100) is Cause.DECIMAL_SHIFT


@given(st.integers(min_value=1, max_value=10**12), st.integers(min_value=0, max_value=9), st.data())
def test_inserting_a_digit_is_an_extra_digit_and_its_mirror_a_missing_one(minor: int, digit: int,
                                                                           data: st.DataObject) -> None:
    text = str(minor)
    position = data.draw(st.integers(min_value=1 if digit == 0 else 0, max_value=len(text)))
    longer = int(text[:position] + str(digit) + text[position:])
    if longer == minor * 100:
        return
    assert classify(longer, minor) is Cause.EXTRA_DIGIT
    assert classify(minor, longer) is Cause.MISSING_DIGIT


@given(st.integers(min_value=10, max_value=10**12), st.data())
def test_swapping_adjacent_digits_is_a_transposition(minor: int, data: st.DataObject) -> None:
    text = str(minor)
    i = data.draw(st.integers(min_value=0, max_value=len(text) - 2))
    swapped = text[:i] + text[i + 1] + text[i] + text[i + 2:]
    if swapped == text or swapped.startswith("0"):
        return
    assert classify(int(swapped), minor) is Cause.TRANSPOSED_DIGITS


@given(st.integers(min_value=1, max_value=10**9), st.integers(min_value=1, max_value=10**9))
def test_classification_is_total_and_plausibility_symmetric(a: int, b: int) -> None:
    assert (classify(a, b) is None) == (a == b)
    assert plausibly_related(a, b) == plausibly_related(b, a)
