from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.errors import InvalidInput
from recoup.money import Money, format_major, parse_minor


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
    assert format_major(-5, "CNY") == "-0.05"
    assert format_major(7, "JPY") == "7"
