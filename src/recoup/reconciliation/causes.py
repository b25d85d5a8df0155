"""Causes of an amount difference (SPEC section 4), on the digit strings of minor units.

The first cause that fits wins: DECIMAL_SHIFT (x100 or /100), EXTRA_DIGIT (one digit inserted),
MISSING_DIGIT (one digit deleted), TRANSPOSED_DIGITS (two adjacent digits swapped), OTHER.
"""

from __future__ import annotations

from enum import StrEnum


class Cause(StrEnum):
    DECIMAL_SHIFT = "DECIMAL_SHIFT"
    EXTRA_DIGIT = "EXTRA_DIGIT"
    MISSING_DIGIT = "MISSING_DIGIT"
    TRANSPOSED_DIGITS = "TRANSPOSED_DIGITS"
    OTHER = "OTHER"


def _one_digit_inserted(longer: str, shorter: str) -> bool:
    """`longer` is `shorter` with exactly one digit inserted somewhere."""
    if len(longer) != len(shorter) + 1:
        return False
    return any(longer[:i] + longer[i + 1:] == shorter for i in range(len(longer)))


def _adjacent_swap(first: str, second: str) -> bool:
    if len(first) != len(second) or first == second:
        return False
    differing = [i for i in range(len(first)) if first[i] != second[i]]
    if len(differing) != 2 or differing[1] != differing[0] + 1:
        return False
    i, j = differing
    return first[i] == second[j] and first[j] == second[i]


def classify(charged_minor: int, expected_minor: int) -> Cause | None:
    """The cause of charging `charged_minor` for `expected_minor`; None when they are equal."""
    if charged_minor == expected_minor:
        return None
    if charged_minor == expected_minor * 100 or expected_minor == charged_minor * 100:
        return Cause.DECIMAL_SHIFT
    charged, expected = str(charged_minor), str(expected_minor)
    if _one_digit_inserted(charged, expected):
        return Cause.EXTRA_DIGIT
    if _one_digit_inserted(expected, charged):
        return Cause.MISSING_DIGIT
    if _adjacent_swap(charged, expected):
        return Cause.TRANSPOSED_DIGITS
    return Cause.OTHER


def plausibly_related(first_minor: int, second_minor: int) -> bool:
    """Equal, or related by a cause other than OTHER."""
    return classify(first_minor, second_minor) is not Cause.OTHER
