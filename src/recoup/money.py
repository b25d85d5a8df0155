"""Money: an integer of minor units with an ISO 4217 currency. Never a float."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from recoup.errors import InvalidInput

# ISO 4217 minor-unit exponents of the currencies Recoup meets; others are refused.
CURRENCY_EXPONENTS: dict[str, int] = {
    "CNY": 2, "HKD": 2, "MOP": 2, "TWD": 2, "USD": 2, "EUR": 2, "GBP": 2, "SGD": 2,
    "AUD": 2, "CAD": 2, "CHF": 2, "THB": 2, "MYR": 2, "KRW": 0, "JPY": 0, "VND": 0,
}
NUMERIC_CODES: dict[str, str] = {
    "156": "CNY", "344": "HKD", "446": "MOP", "901": "TWD", "840": "USD", "978": "EUR",
    "826": "GBP", "702": "SGD", "036": "AUD", "124": "CAD", "756": "CHF", "764": "THB",
    "458": "MYR", "410": "KRW", "392": "JPY", "704": "VND",
}
# The symbol an amount is written with, the same in every language (see format_amount); a currency not
# listed is written with its code: "THB 2,120.00".
CURRENCY_SYMBOLS: dict[str, str] = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$"}

# ASCII digits only: Python's \d, int() and Decimal() also take "１２" (full-width) and "٣" (Arabic-Indic).
_DECIMAL = re.compile(r"^(?P<sign>[+-]?)(?P<int>[0-9]+)(?:\.(?P<frac>[0-9]*))?$")
# A comma only groups thousands ("1,280.00"); "128,00" is refused, never read as 12800.00.
_GROUPED = re.compile(r"^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?$")
# The largest amount Recoup takes, in minor units: far above any card payment, far below a 64-bit column.
MAX_MINOR = 10**17 - 1
AMOUNT_MAX_LENGTH = 32  # characters of an amount as typed, grouping commas included
DIGITS_ONLY = "amounts use the digits 0-9 only"


def exponent_of(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise InvalidInput(f"unknown currency {currency!r}") from None


def parse_minor(text: str, currency: str, *, allow_negative: bool = False) -> int:
    """Parse a decimal string in major units ("128.00") into minor units (12800); ASCII digits only."""
    exponent = exponent_of(currency)
    plain = text.strip() if text else ""
    if len(plain) > AMOUNT_MAX_LENGTH:
        raise InvalidInput(f"amount too long (at most {AMOUNT_MAX_LENGTH} characters): {text[:40]!r}...")
    if not plain.isascii() and any(char.isdigit() or char.isnumeric() for char in plain):
        raise InvalidInput(f"{DIGITS_ONLY}, not {text!r}")
    if "," in plain and _GROUPED.match(plain):
        plain = plain.replace(",", "")
    match = _DECIMAL.match(plain) if plain else None
    if match is None:
        raise InvalidInput(f"not an amount: {text!r}")
    frac = (match.group("frac") or "").rstrip("0") if match.group("frac") else ""
    if len(frac) > exponent:
        raise InvalidInput(f"too many decimals for {currency}: {text!r}")
    whole = int(str(match.group("int")))
    minor: int = whole * 10**exponent + int((frac or "0").ljust(exponent, "0") or "0")
    if minor > MAX_MINOR:
        raise InvalidInput(f"amount too large: at most {format_major(MAX_MINOR, currency)} {currency}, not {text!r}")
    if match.group("sign") == "-":
        minor = -minor
    if minor < 0 and not allow_negative:
        raise InvalidInput(f"negative amount: {text!r}")
    return minor


def format_major(minor: int, currency: str) -> str:
    """Minor units as a plain decimal string in major units: 12800 -> "128.00"."""
    exponent = exponent_of(currency)
    if exponent == 0:
        return str(minor)
    whole, fraction = divmod(abs(minor), _SCALES[exponent])
    return f"{'-' if minor < 0 else ''}{whole}.{fraction:0{exponent}d}"


_SCALES = {exponent: 10**exponent for exponent in set(CURRENCY_EXPONENTS.values())}


def format_amount(minor: int, currency: str) -> str:
    """The one way Recoup writes an amount for people, on pages, messages, reports and PDFs, in every
    language: the currency's own symbol, thousands grouped with commas, the currency's own decimals.

    ¥2,120.00 (CNY: never Babel's "CN¥"), -¥12.50, ¥2,120 (JPY: no decimals), HK$3.00, $0.05 (USD),
    €1.00, £1.00; a currency without a symbol here is written with its code: "THB 2,120.00".
    """
    exponent = exponent_of(currency)
    digits = f"{Decimal(abs(minor)).scaleb(-exponent):,.{exponent}f}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    text = f"{symbol}{digits}" if symbol else f"{currency} {digits}"
    return f"-{text}" if minor < 0 else text


@dataclass(frozen=True, order=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError("Money holds an integer of minor units")
        exponent_of(self.currency)

    @classmethod
    def parse(cls, text: str, currency: str, *, allow_negative: bool = False) -> Money:
        return cls(parse_minor(text, currency, allow_negative=allow_negative), currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidInput(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    @property
    def major(self) -> str:
        return format_major(self.minor, self.currency)

    def format(self, locale: str | None = None) -> str:  # noqa: ARG002 - the same in every language
        """For people: ¥1,280.00, whatever the locale (see format_amount; `locale` is kept for callers)."""
        return format_amount(self.minor, self.currency)

    def __str__(self) -> str:
        return f"{self.major} {self.currency}"
