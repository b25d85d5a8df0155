"""recoup.web.formatting: times in the merchant's zone, money with its symbol, amounts as people type them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.errors import InvalidInput
from recoup.money import CURRENCY_EXPONENTS
from recoup.web.formatting import (
    amount_field,
    format_day,
    format_money,
    format_when,
    parse_amount,
    plain_amount,
)

SALE = datetime(2026, 11, 20, 8, 40, tzinfo=UTC)  # 16:40 in Shanghai


def test_a_moment_is_shown_in_the_merchants_zone_and_labelled() -> None:
    assert format_when(SALE, "Asia/Shanghai") == "2026-11-20 16:40 (UTC+8)"
    assert format_when(SALE.replace(tzinfo=None), "Asia/Shanghai") == "2026-11-20 16:40 (UTC+8)"  # stored UTC
    assert format_when(SALE.isoformat(), "Asia/Kolkata") == "2026-11-20 14:10 (UTC+5:30)"
    assert format_when(SALE, "America/New_York") == "2026-11-20 03:40 (UTC-5)"
    assert format_when(SALE, "Not/A_Zone") == "2026-11-20 16:40 (UTC+8)"  # an unknown zone: Shanghai
    assert format_when(SALE, "UTC", labelled=False) == "2026-11-20 08:40"
    assert format_when(None) == ""
    assert format_when("not a time") == ""


def test_a_day_is_the_merchants_day() -> None:
    late = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)  # already the 21st in Shanghai
    assert format_day(late, "Asia/Shanghai") == "2026-11-21"
    assert format_day(date(2026, 1, 2)) == "2026-01-02"
    assert format_day("2026-01-02") == "2026-01-02"


@pytest.mark.parametrize(("minor", "currency", "shown"), [
    (212000, "CNY", "¥2,120.00"), (30267655, "CNY", "¥302,676.55"), (-1250, "CNY", "-¥12.50"),
    (2120, "JPY", "¥2,120"), (300, "HKD", "HK$3.00"), (212000, "THB", "THB 2,120.00"), (5, "USD", "$0.05"),
])
def test_money_has_its_own_symbol_and_decimals(minor: int, currency: str, shown: str) -> None:
    assert format_money(minor, currency) == shown


@pytest.mark.parametrize("typed", ["2120", "2,120.00", "2120元", "￥2120", "¥2,120", "２１２０", "２，１２０．００",
                                   " 2120.0 ", "RMB 2120",
                                   "2120.", "2120块"])
def test_amounts_typed_as_people_type_them(typed: str) -> None:
    assert parse_amount(typed, "CNY") == 212000


@pytest.mark.parametrize(("typed", "reason"), [
    ("", "enter an amount"), ("两千一百二十", "in digits"), ("2120,00", "a comma only groups thousands"),
    ("21,20", "a comma only groups thousands"), ("-5", "must not be negative"), ("12a", "not an amount"),
    ("1,2,3", "not an amount"), ("9" * 40, "too long"), ("٣", "in digits"), ("¹", "in digits"),
])
def test_ambiguous_amounts_are_refused_with_a_reason(typed: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        plain_amount(typed)


def test_too_many_decimals_for_the_currency_are_refused() -> None:
    with pytest.raises(InvalidInput, match="decimals"):
        parse_amount("2120.5", "JPY")


@given(minor=st.integers(min_value=0, max_value=10**15), currency=st.sampled_from(sorted(CURRENCY_EXPONENTS)))
def test_what_is_shown_or_prefilled_reads_back_as_the_same_amount(minor: int, currency: str) -> None:
    assert parse_amount(amount_field(minor, currency), currency) == minor
    shown = format_money(minor, currency)
    assert parse_amount(shown.removeprefix(currency).strip(" ¥$€£HK"), currency) == minor
