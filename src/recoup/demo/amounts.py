"""Keyed amount errors (SPEC section 4 "Causes"): make them on purpose, and recognise them."""

from __future__ import annotations

import random

DECIMAL_SHIFT = "DECIMAL_SHIFT"
EXTRA_DIGIT = "EXTRA_DIGIT"
MISSING_DIGIT = "MISSING_DIGIT"
TRANSPOSED_DIGITS = "TRANSPOSED_DIGITS"
OTHER = "OTHER"

# A digit string loses or gains length with a missing or extra digit, so these are the causes each
# direction can show: an overcharge never has a missing digit, an undercharge never an extra one.
OVER_CAUSES = (DECIMAL_SHIFT, EXTRA_DIGIT, TRANSPOSED_DIGITS, OTHER)
UNDER_CAUSES = (DECIMAL_SHIFT, MISSING_DIGIT, TRANSPOSED_DIGITS, OTHER)


def classify(charged_minor: int, expected_minor: int) -> str:
    """The first cause that fits, comparing minor units as digit strings (SPEC section 4)."""
    if charged_minor == expected_minor * 100 or charged_minor * 100 == expected_minor:
        return DECIMAL_SHIFT
    charged, expected = str(charged_minor), str(expected_minor)
    if len(charged) == len(expected) + 1 and _one_deleted(charged, expected):
        return EXTRA_DIGIT
    if len(charged) + 1 == len(expected) and _one_deleted(expected, charged):
        return MISSING_DIGIT
    if len(charged) == len(expected) and _adjacent_swap(charged, expected):
        return TRANSPOSED_DIGITS
    return OTHER


def plausibly_related(first_minor: int, second_minor: int) -> bool:
    """Equal, or related by a cause other than OTHER (the SPEC's rule-2 linking test)."""
    return first_minor == second_minor or classify(first_minor, second_minor) != OTHER


def loosely_related(first_minor: int, second_minor: int) -> bool:
    """A generous superset of `plausibly_related`, used to keep unrelated data far from any doubt."""
    if plausibly_related(first_minor, second_minor):
        return True
    low, high = sorted((first_minor, second_minor))
    if low > 0 and high % low == 0 and high // low in (10, 100, 1000, 10_000):
        return True
    first, second = str(first_minor), str(second_minor)
    return len(first) == len(second) and sorted(first) == sorted(second)


def key_error(expected_minor: int, cause: str, upward: bool, rng: random.Random) -> int | None:
    """An amount a cashier might key instead of `expected_minor` with that cause, or None if none fits."""
    candidates = _candidates(expected_minor, cause, upward, rng)
    rng.shuffle(candidates)
    for charged in candidates:
        if charged <= 0 or (charged > expected_minor) != upward or classify(charged, expected_minor) != cause:
            continue
        if cause != OTHER or not loosely_related(charged, expected_minor):
            return charged
    return None


def _candidates(expected_minor: int, cause: str, upward: bool, rng: random.Random) -> list[int]:
    digits = str(expected_minor)
    if cause == DECIMAL_SHIFT:
        if upward:
            return [expected_minor * 100]
        return [expected_minor // 100] if expected_minor % 100 == 0 else []
    if cause == EXTRA_DIGIT:
        return [_int(digits[:at] + digit + digits[at:]) for at in range(len(digits) + 1)
                for digit in _inserted_digits(digits, at)]
    if cause == MISSING_DIGIT:
        return [_int(digits[:at] + digits[at + 1:]) for at in range(len(digits))]
    if cause == TRANSPOSED_DIGITS:
        return [_int(digits[:at] + digits[at + 1] + digits[at] + digits[at + 2:])
                for at in range(len(digits) - 1)]
    return _other_candidates(expected_minor, upward, rng)


def _inserted_digits(digits: str, at: int) -> list[str]:
    """A repeated neighbour (128 -> 1288) or a zero (128 -> 1280) is what fingers usually add."""
    neighbours = {digits[at - 1]} if at > 0 else set()
    if at < len(digits):
        neighbours.add(digits[at])
    return sorted(neighbours | {"0"})


def _other_candidates(expected_minor: int, upward: bool, rng: random.Random) -> list[int]:
    """A wrong price rather than a slip of a finger: off by a round share of the amount."""
    candidates = []
    for _ in range(12):
        share = rng.choice((5, 10, 15, 20, 25, 30, 40, 50, 60))
        delta = max(100, expected_minor * share // 100 // 100 * 100) + rng.choice((0, 0, 50, 90))
        candidates.append(expected_minor + delta if upward else expected_minor - delta)
    return candidates


def _int(digits: str) -> int:
    """A digit string as a number, or -1 when it would start with a zero (not a keyed amount)."""
    return int(digits) if digits and digits[0] != "0" else -1


def _one_deleted(longer: str, shorter: str) -> bool:
    return any(longer[:at] + longer[at + 1:] == shorter for at in range(len(longer)))


def _adjacent_swap(first: str, second: str) -> bool:
    differing = [at for at in range(len(first)) if first[at] != second[at]]
    return (len(differing) == 2 and differing[1] == differing[0] + 1
            and first[differing[0]] == second[differing[1]] and first[differing[1]] == second[differing[0]])
