"""Turning one statement cell into the native SPEC text of its field: amounts, types, cards. Pure.

Amounts: `yuan` (major units, decimals) or `fen` (whole minor units) become the native major-unit
text; `negative_refunds` profiles write refunds, voids and reversals (and their fees) as negative
amounts, which become positive (the type carries the direction). Within one file an amount column
keeps one shape: a yuan column whose values had decimals may not turn into whole numbers half-way
(nor the reverse) — that is the mark of a column that changed its unit, refused line by line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from recoup.transactions.enums import normalise_alias

REFUND_LIKE = frozenset({"REFUND", "VOID", "REVERSAL"})
_YUAN = re.compile(r"\d+(\.\d{1,2})?")
_FEN = re.compile(r"\d+")
_MASKED_TAIL = re.compile(r"[*xX]+\d{4}")
_SPACES = re.compile(r"\s+")


class BadValue(Exception):
    """A cell that cannot become its field; the reason is shown with the original line and column."""


@dataclass
class AmountShape:
    """The shape the first amount of a column had (with or without decimals), and where it was."""

    decimals: bool | None = None
    line: int = 0
    example: str = ""

    def check(self, text: str, line: int) -> None:
        has_point = "." in text
        if self.decimals is None:
            self.decimals, self.line, self.example = has_point, line, text
        elif has_point != self.decimals:
            raise BadValue(f"{text!r} {'has' if has_point else 'has no'} decimals while line {self.line} had "
                           f"{self.example!r}: the column changes its unit half-way (yuan and fen mixed); "
                           "within one file every amount must have the same shape")


def clean_amount(text: str) -> str:
    return text.replace(",", "").replace("¥", "").replace("￥", "").strip()


def amount_text(text: str, unit: str, *, negative_ok: bool) -> str:
    """The native major-unit text of an amount cell (sign removed where the profile allows it)."""
    if unit == "fen" and text.isdigit():  # the usual cases first, without cleaning
        cents = int(text)
        return f"{cents // 100}.{cents % 100:02d}"
    if unit == "yuan" and _YUAN.fullmatch(text):
        return text
    value = clean_amount(text)
    if value.startswith("-"):
        if not negative_ok:
            raise BadValue(f"{text!r} is negative on a line that is not a refund, void or reversal")
        value = value[1:]
    elif value.startswith("+"):
        value = value[1:]
    if unit == "fen":
        if not _FEN.fullmatch(value):
            raise BadValue(f"{text!r} is not a whole number of fen (分): the profile reads this column in fen")
        cents = int(value)
        return f"{cents // 100}.{cents % 100:02d}"
    if not _YUAN.fullmatch(value):
        raise BadValue(f"{text!r} is not an amount in yuan (元) with at most two decimals")
    return value


def minor_units(text: str, unit: str) -> int:
    """The signed value of an amount cell in minor units (summary checks)."""
    value = clean_amount(text)
    negative = value.startswith("-")
    value = value.lstrip("+-")
    if unit == "fen":
        if not _FEN.fullmatch(value):
            raise BadValue(f"{text!r} is not a whole number of fen")
        minor = int(value)
    else:
        if not _YUAN.fullmatch(value):
            raise BadValue(f"{text!r} is not an amount in yuan")
        whole, _, cents = value.partition(".")
        minor = int(whole) * 100 + int((cents + "00")[:2])
    return -minor if negative else minor


def mapped_value(text: str, values: dict[str, str], aliases: dict[str, str], what: str) -> str:
    """A type or status through the profile's value map (then the SPEC's own aliases)."""
    found = values.get(text)
    if found is None:
        found = aliases.get(normalise_alias(text))
    if found is None:
        known = ", ".join(list(values)[:12])
        raise BadValue(f"{text!r} is not in the profile's value map for {what} ({known})")
    return str(found)


def card_text(text: str) -> str:
    """A card as the native loader takes it; a mask with no leading digits (`**** 1234`) is dropped."""
    compact = _SPACES.sub("", text) if " " in text else text
    if compact[:1] in ("*", "x", "X") and _MASKED_TAIL.fullmatch(compact):
        return ""
    return compact
