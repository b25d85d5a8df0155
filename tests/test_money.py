from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.errors import InvalidInput
from recoup.money import CURRENCY_EXPONENTS, MAX_MINOR, Money, format_amount, format_major, parse_minor


@given(st.integers(min_value=0, max_value=10**15))
def test_format_then_parse_is_identity(minor: int) -> None:
    assert parse_minor(format_major(minor, "CNY"), "CNY") == minor


@given(st.integers(-(10**12), 10**12), st.integers(-(10**12), 10**12))
def test_addition_is_exact(a: int, b: int) -> None:
    assert (Money(a, "CNY") + Money(b, "CNY")).minor == a + b
    assert (Money(a, "CNY") - Money(b, "CNY") + Money(b, "CNY")) == Money(a, "CNY")


@pytest.mark.parametrize(("text", "minor"), [("128.00", 12800), ("128", 12800), ("0.5", 50), ("1,280.00", 128000),
                                             ("1,280,000.05", 128000005)])
def test_parse(text: str, minor: int) -> None:
    assert parse_minor(text, "CNY") == minor


@pytest.mark.parametrize("text", ["12.345", "abc", "", "1e3", "-5.00", "12.3.4", " . ", "128,00", "1,28.00",
                                  "12,8000.00"])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_minor(text, "CNY")


def test_unknown_currency_and_mixing_refused() -> None:
    with pytest.raises(InvalidInput):
        parse_minor("1.00", "XYZ")
    with pytest.raises(InvalidInput):
        Money(1, "CNY") + Money(1, "USD")
    with pytest.raises(TypeError):
        Money(1.5, "CNY")  # type: ignore[arg-type]


def test_locale_format() -> None:
    assert Money(128000, "CNY").format("zh_CN") == "¥1,280.00"
    assert Money(128000, "CNY").format("en_US") == "¥1,280.00"  # never Babel's "CN¥"
    assert format_major(-5, "CNY") == "-0.05"
    assert format_major(7, "JPY") == "7"


# --- ASCII digits only (issue 10, defect 13): int() and Decimal() read "１２" and "٣" as numbers --------------

OTHER_DIGITS = st.characters(categories=["Nd", "No", "Nl"]).filter(lambda char: char not in "0123456789")


@pytest.mark.parametrize("text", ["１２", "٣", "１２.００", "12.٥", "۱۲۸", "12.3４", "²", "½"])
def test_digits_of_other_scripts_are_refused_and_the_error_says_why(text: str) -> None:
    with pytest.raises(InvalidInput, match="amounts use the digits 0-9 only"):
        parse_minor(text, "CNY")


@given(st.integers(min_value=0, max_value=10**9), OTHER_DIGITS, st.data())
def test_any_non_ascii_digit_anywhere_in_an_amount_is_refused(minor: int, digit: str, data: st.DataObject) -> None:
    text = format_major(minor, "CNY")
    at = data.draw(st.integers(min_value=0, max_value=len(text)))
    replace = data.draw(st.booleans())
    spoiled = text[:at] + digit + text[at + (1 if replace else 0):]
    with pytest.raises(InvalidInput, match="amounts use the digits 0-9 only"):
        parse_minor(spoiled, "CNY")


@given(st.integers(min_value=-MAX_MINOR, max_value=MAX_MINOR), st.sampled_from(sorted(CURRENCY_EXPONENTS)))
def test_ascii_amounts_round_trip_in_every_currency(minor: int, currency: str) -> None:
    text = format_major(minor, currency)
    assert text.isascii()
    assert parse_minor(text, currency, allow_negative=True) == minor
    assert parse_minor(f" {text} ", currency, allow_negative=True) == minor


@given(st.integers(min_value=MAX_MINOR + 1, max_value=10**400), st.sampled_from(["CNY", "JPY"]))
def test_amounts_too_large_for_a_64_bit_column_are_refused(minor: int, currency: str) -> None:
    with pytest.raises(InvalidInput, match=r"amount too (large|long)"):
        parse_minor(format_major(minor, currency), currency)


def test_a_400_digit_amount_is_refused_without_parsing_it() -> None:
    with pytest.raises(InvalidInput, match="amount too long"):
        parse_minor("9" * 400, "CNY")


# --- money written one way (issue 12): ¥2,120.00 on every page, message and report, in both languages ------------

@pytest.mark.parametrize(("minor", "currency", "text"), [
    (212000, "CNY", "¥2,120.00"), (-1250, "CNY", "-¥12.50"), (0, "CNY", "¥0.00"), (2120, "JPY", "¥2,120"),
    (300, "HKD", "HK$3.00"), (5, "USD", "$0.05"), (100, "EUR", "€1.00"), (212000, "THB", "THB 2,120.00"),
    (123456789012, "CNY", "¥1,234,567,890.12"),
])
def test_money_is_written_with_the_currencys_own_symbol_and_decimals(minor: int, currency: str, text: str) -> None:
    assert format_amount(minor, currency) == text
    for locale in (None, "zh_CN", "en", "en_US"):
        assert Money(minor, currency).format(locale) == text


@given(st.integers(min_value=-MAX_MINOR, max_value=MAX_MINOR), st.sampled_from(sorted(CURRENCY_EXPONENTS)))
def test_pages_and_money_format_agree_and_read_back(minor: int, currency: str) -> None:
    from recoup.web.formatting import format_money, parse_amount

    text = Money(minor, currency).format("en")
    assert format_money(minor, currency) == text
    assert "CN¥" not in text
    if minor >= 0 and currency in ("CNY", "JPY", "HKD", "USD"):
        assert parse_amount(text.removeprefix("HK"), currency) == minor
