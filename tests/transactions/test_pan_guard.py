"""pan_guard: every card number is found in any spelling, nothing else is, and the DuckDB SQL of the bulk
import says exactly what the Python says."""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.transactions.pan_guard import (
    ColumnRule,
    find_pans,
    has_card_id,
    has_card_id_sql,
    has_pan,
    luhn_ok,
    mask_pans,
    mask_pans_sql,
    rule_for,
)

_CON = duckdb.connect()


def _check_digit(body: str) -> str:
    return next(str(d) for d in range(10) if luhn_ok(body + str(d)))


@st.composite
def card_numbers(draw: st.DrawFn, prefix: str = "") -> str:
    length = draw(st.integers(13, 19))
    body = prefix + draw(st.text("0123456789", min_size=length - 1 - len(prefix), max_size=length - 1 - len(prefix)))
    return body + _check_digit(body)


@st.composite
def spelled(draw: st.DrawFn, digits: str) -> str:
    """The number in groups of 1 to 6 digits joined by single spaces or dashes (or not at all)."""
    out, rest = [], digits
    while rest:
        size = draw(st.integers(1, 6))
        out.append(rest[:size])
        rest = rest[size:]
    separators = draw(st.lists(st.sampled_from(["", " ", "-"]), min_size=len(out) - 1, max_size=len(out) - 1))
    return "".join(group + sep for group, sep in zip(out, [*separators, ""], strict=True))


_AROUND = st.text("abcXYZ=:/#.,_()中文 ", max_size=8).filter(lambda t: not t.endswith((" ", "-")))


def _sql(expression: str, values: list[str | None]) -> list[object]:
    """The expression over `values` (as column `value`), in one query: planning it is the slow part."""
    rows = _CON.execute(f"SELECT {expression} FROM (SELECT unnest(CAST(? AS VARCHAR[])) AS value, "
                        "generate_subscripts(CAST(? AS VARCHAR[]), 1) AS position) v ORDER BY position",
                        [values, values]).fetchall()
    return [row[0] for row in rows]


@st.composite
def embedded_cards(draw: st.DrawFn) -> tuple[str, str]:
    pan = draw(card_numbers())
    before = draw(_AROUND)
    after = draw(_AROUND.filter(lambda t: not t.startswith((" ", "-"))))
    return pan, f"{before}{draw(spelled(pan))}{after}"


@settings(max_examples=25, deadline=None)
@given(cases=st.lists(embedded_cards(), min_size=20, max_size=20))
def test_every_card_number_in_any_spelling_is_found_and_masked(cases: list[tuple[str, str]]) -> None:
    for pan, text in cases:
        assert has_pan(text)
        masked = mask_pans(text).replace(" ", "").replace("-", "")
        assert pan not in masked
        assert pan[:6] in masked  # first six and last four stay
    texts = [text for _, text in cases]
    assert _sql(mask_pans_sql("value"), list(texts)) == [mask_pans(text) for text in texts]


def spelled_in_fours(digits: str) -> str:
    return " ".join(digits[i:i + 4] for i in range(0, len(digits), 4))


@settings(max_examples=20, deadline=None)
@given(pans=st.lists(card_numbers(), min_size=10, max_size=10), data=st.data())
def test_a_card_number_next_to_other_numbers_is_found(pans: list[str], data: st.DataObject) -> None:
    texts = [f"qty {data.draw(st.integers(1, 99))} {spelled_in_fours(pan)} ref {data.draw(st.integers(0, 999))}"
             for pan in pans]
    for pan, text in zip(pans, texts, strict=True):
        assert pan not in mask_pans(text).replace(" ", "")
    assert _sql(mask_pans_sql("value"), list(texts)) == [mask_pans(text) for text in texts]


@settings(max_examples=20, deadline=None)
@given(numbers=st.lists(st.text("0123456789", min_size=13, max_size=19).filter(lambda n: not luhn_ok(n)),
                        min_size=20, max_size=20))
def test_a_number_failing_luhn_is_left_alone(numbers: list[str]) -> None:
    for number in numbers:
        assert find_pans(number) == []
        assert mask_pans(f"order {number}") == f"order {number}"
    assert _sql(mask_pans_sql("value"), list(numbers)) == numbers


VALUES_LEFT_ALONE = [
    "421795601378",  # an RRN: 12 digits
    "000123", "1280.00", "-12.00", "1,280.00", "2026-09-01T10:00:00+08:00",
    "12345678901234567890",  # 20 digits in a row: a reference, not a card
    "898310048161235",  # a merchant id (15 digits, not Luhn-valid)
    "CV202609018327050225",
]


def test_rrns_stans_amounts_and_long_references_are_left_alone() -> None:
    for value in VALUES_LEFT_ALONE:
        assert mask_pans(value) == value
    assert _sql(mask_pans_sql("value"), list(VALUES_LEFT_ALONE)) == VALUES_LEFT_ALONE


@settings(max_examples=30, deadline=None)
@given(texts=st.lists(st.text("0123456789 -ab", max_size=60), min_size=20, max_size=20))
def test_the_sql_says_what_the_python_says(texts: list[str]) -> None:
    assert _sql(mask_pans_sql("value"), list(texts)) == [mask_pans(text) for text in texts]
    assert _sql(has_card_id_sql("value"), list(texts)) == [has_card_id(text) for text in texts]


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_an_identifier_holding_a_card_number_is_refused(data: st.DataObject) -> None:
    prefixes = st.sampled_from(["4", "51", "62", "35", "37", "6011", "2221", "8100"])
    order_nos = [f"NO{data.draw(spelled(data.draw(card_numbers(prefix=data.draw(prefixes)))))}" for _ in range(10)]
    assert all(has_card_id(order_no) for order_no in order_nos)
    assert _sql(has_card_id_sql("value"), list(order_nos)) == [True] * 10


def test_a_hotel_order_number_is_not_refused_even_when_luhn_valid() -> None:
    """18-digit order numbers that start with the date pass Luhn one time in ten: not cards."""
    order_no = "2026090100000000" + "0" + _check_digit("20260901000000000")
    assert luhn_ok(order_no)
    assert has_pan(order_no)
    assert not has_card_id(order_no)
    assert _sql(has_card_id_sql("value"), [order_no]) == [False]


def test_null_and_empty_values() -> None:
    assert _sql(mask_pans_sql("value"), [None, ""]) == [None, ""]
    assert _sql(has_card_id_sql("value"), [None, ""]) == [False, False]
    assert mask_pans("") == ""


def test_column_rules() -> None:
    assert rule_for("order_no", 64) is ColumnRule.REFUSE
    assert rule_for("cashier_id", 32) is ColumnRule.MASK
    assert rule_for("merchant_name", 128) is ColumnRule.MASK
    assert rule_for("merchant_id", 15) is ColumnRule.EXEMPT
    assert rule_for("rrn", 12) is ColumnRule.EXEMPT
