"""The cheaper checks of issue 15 decide exactly as the rules they stand in front of.

An order number that holds a card number is still refused (the cheap test in front of the card check
never lets one through, whatever its spelling; tests/transactions/test_card_scan.py refuses such a line
end to end), an ordinary one is still kept, and the amounts the findings file and its explanations
print are the same strings as before, digit for digit.
"""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.money import CURRENCY_EXPONENTS, format_major
from recoup.reconciliation.explain import grouped
from recoup.transactions.pan_guard import has_card_id, has_card_id_sql, luhn_ok

_CON = duckdb.connect()
_ISSUER_HEADS = ["2200", "2204", "2205", "2220", "2221", "2299", "2300", "2720", "2721", "2999", "3", "4", "6",
                 "7", "8099", "8100", "8171", "8172", "1", "20", "9"]


def _with_check_digit(body: str) -> str:
    return body + next(str(d) for d in range(10) if luhn_ok(body + str(d)))


@st.composite
def identifiers(draw: st.DrawFn) -> str:
    """Order-number-like texts: a prefix, digits starting at an issuer boundary (or just off one), often
    Luhn-valid, sometimes in groups, and a suffix."""
    head = draw(st.sampled_from(_ISSUER_HEADS))
    body = head + draw(st.text("0123456789", min_size=max(0, 11 - len(head)), max_size=18 - len(head)))
    digits = _with_check_digit(body) if draw(st.booleans()) else body + draw(st.sampled_from("0123456789"))
    cuts = sorted(draw(st.lists(st.integers(1, len(digits) - 1), max_size=3, unique=True)))
    spelled, last = "", 0
    for cut in cuts:
        spelled += digits[last:cut] + draw(st.sampled_from([" ", "-", ""]))
        last = cut
    spelled += digits[last:]
    before = draw(st.sampled_from(["", "G", "NO", "no.", "A1", "12 ", "x-", "9"]))
    after = draw(st.sampled_from(["", "A", " 7", "-3", "#"]))
    return before + spelled + after


def _sql_answers(values: list[str | None]) -> list[object]:
    rows = _CON.execute(f"SELECT {has_card_id_sql('value')} FROM (SELECT unnest(CAST(? AS VARCHAR[])) AS value, "
                        "generate_subscripts(CAST(? AS VARCHAR[]), 1) AS position) v ORDER BY position",
                        [values, values]).fetchall()
    return [row[0] for row in rows]


@settings(max_examples=10, deadline=None)
@given(st.lists(identifiers(), min_size=40, max_size=150))
def test_the_cheap_card_id_tests_decide_as_the_full_rule(values: list[str]) -> None:
    assert _sql_answers(list(values)) == [has_card_id(value) for value in values]


def test_order_numbers_starting_with_a_date_are_kept_and_a_card_number_is_refused() -> None:
    card = _with_check_digit("622202100000000")  # UnionPay-like, Luhn-valid
    values = ["G202609018386806873", "NO20260901000000000001", card, f"G{card}", "62220210000", None, ""]
    assert _sql_answers(values) == [False, False, True, True, False, False, False]


def _format_major_before(minor: int, currency: str) -> str:
    exponent = CURRENCY_EXPONENTS[currency]
    sign = "-" if minor < 0 else ""
    digits = str(abs(minor)).rjust(exponent + 1, "0")
    return f"{sign}{digits}" if exponent == 0 else f"{sign}{digits[:-exponent]}.{digits[-exponent:]}"


@settings(max_examples=300, deadline=None)
@given(st.integers(-10**17, 10**17), st.sampled_from(sorted(CURRENCY_EXPONENTS)))
def test_amount_strings_are_the_same_digit_for_digit(minor: int, currency: str) -> None:
    plain = _format_major_before(minor, currency)
    assert format_major(minor, currency) == plain
    whole, dot, fraction = _format_major_before(abs(minor), currency).partition(".")
    assert grouped(minor, currency) == ("-" if minor < 0 else "") + f"{int(whole):,}" + dot + fraction
