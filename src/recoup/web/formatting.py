"""Times, dates and money as a person writes them, and amounts as a person types them (DESIGN habit 13).

Every page shows time and money through this module, never through str() or strftime:

- in a template: ``{{ when(case.opened_at, zone) }}`` gives "2026-11-20 16:40 (UTC+8)" in the merchant's
  zone (pass the merchant's timezone name, or nothing for Settings.default_timezone); ``{{ day(d, zone) }}``
  gives "2026-11-20"; ``{{ money(minor, currency) }}`` gives "¥2,120.00" (the currency's own symbol and
  decimals, the same in both languages). recoup.web.templating puts the three into every template.
- in a route: ``parse_amount("2,120元", "CNY")`` gives 212000; ``plain_amount("￥2120")`` gives "2120" for
  the services, which take plain decimal strings. Anything ambiguous ("128,00", "两千") raises InvalidInput
  whose message says what to type instead.

Pure functions: no database, no clock (times come in, text goes out).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from recoup.errors import InvalidInput
from recoup.money import AMOUNT_MAX_LENGTH, exponent_of, format_amount, parse_minor

FALLBACK_ZONE = "Asia/Shanghai"
# What a person writes before or after an amount; the currency comes from the case, not from these.
_PREFIXES = ("RMB", "CNY", "¥", "￥", "$", "€", "£")
_SUFFIXES = ("元整", "元", "块钱", "块", "RMB", "CNY")
_GROUPED = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")
_PLAIN = re.compile(r"^[0-9]+(\.[0-9]*)?$")
_EUROPEAN = re.compile(r"^[0-9]+,[0-9]{1,2}$")

# Why an amount was refused: English msgids of the UI catalogue (messages.po), so pages show them translated.
AMOUNT_REQUIRED = "enter an amount, e.g. 2120 or 2,120.00"
AMOUNT_IN_WORDS = "write the amount in digits, e.g. 2120 or 2,120.00"
AMOUNT_DECIMAL_COMMA = "a comma only groups thousands; write decimals with a point, e.g. 128.00"
AMOUNT_NOT_UNDERSTOOD = "not an amount; type it as 2120, 2,120.00 or ¥2120"
AMOUNT_NEGATIVE = "the amount must not be negative"
AMOUNT_TOO_LONG = "the amount is too long"


def zone(name: str | None, default: str | None = None) -> ZoneInfo:
    """The named IANA zone; a missing or unknown name falls back to `default`, then Asia/Shanghai."""
    for candidate in (name, default, FALLBACK_ZONE):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo(FALLBACK_ZONE)


def _moment(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value  # stored times are UTC


def zone_label(offset: timedelta | None) -> str:
    """UTC+8, UTC-3:30, UTC."""
    minutes = int((offset or timedelta()).total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def format_when(value: datetime | str | None, zone_name: str | None = None, *, labelled: bool = True) -> str:
    """A moment in the zone, to the minute, labelled: "2026-11-20 16:40 (UTC+8)"; "" for no moment."""
    moment = _moment(value)
    if moment is None:
        return ""
    local = moment.astimezone(zone(zone_name))
    text = local.strftime("%Y-%m-%d %H:%M")
    return f"{text} ({zone_label(local.utcoffset())})" if labelled else text


def format_day(value: date | datetime | str | None, zone_name: str | None = None) -> str:
    """A date as "2026-11-20" (a moment is first put into the zone)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            return value
    if isinstance(value, datetime | str):
        moment = _moment(value)
        return moment.astimezone(zone(zone_name)).date().isoformat() if moment else ""
    return value.isoformat()


def format_money(minor: int, currency: str = "CNY") -> str:
    """¥2,120.00, -¥12.50, HK$3.00, ¥2,120 (JPY); a currency without a symbol: "THB 2,120.00".
    The same text as Money.format: both are recoup.money.format_amount."""
    return format_amount(minor, currency)


def minor_of(amount: int | str, currency: str) -> int:
    """Minor units of an int (as is) or of a major-unit string from a JSON view ("-128.00" -> -12800)."""
    if isinstance(amount, int):
        return amount
    return parse_minor(str(amount), currency, allow_negative=True)


def _strip_marks(text: str) -> str:
    # Full-width forms (what a Chinese keyboard types: "２，１２０．００") become ASCII; other scripts' digits
    # ("٣", "¹") stay as they are and are refused.
    plain = "".join(chr(ord(char) - 0xFEE0) if "\uff01" <= char <= "\uff5e" else char for char in text)
    plain = plain.replace(" ", "").replace("\u00a0", "").replace("\u3000", "")
    for prefix in _PREFIXES:
        if plain.upper().startswith(prefix):
            plain = plain[len(prefix):]
            break
    for suffix in _SUFFIXES:
        if plain.upper().endswith(suffix):
            plain = plain[: -len(suffix)]
            break
    return plain


def plain_amount(text: str) -> str:
    """What a person typed ("2,120.00", "2120元", "￥2120", "２１２０") as a plain decimal string ("2120.00");
    InvalidInput saying what to type for anything else (words, "128,00", signs, letters)."""
    raw = (text or "").strip()
    if not raw:
        raise InvalidInput(AMOUNT_REQUIRED)
    if len(raw) > AMOUNT_MAX_LENGTH:
        raise InvalidInput(AMOUNT_TOO_LONG)
    plain = _strip_marks(raw)
    if plain.startswith("-"):
        raise InvalidInput(AMOUNT_NEGATIVE)
    if _GROUPED.match(plain):
        return plain.replace(",", "")
    if _PLAIN.match(plain):
        return plain.rstrip(".") if plain.endswith(".") else plain
    if _EUROPEAN.match(plain):
        raise InvalidInput(AMOUNT_DECIMAL_COMMA)
    if not any(char.isascii() and char.isdigit() for char in plain):
        raise InvalidInput(AMOUNT_IN_WORDS)
    raise InvalidInput(AMOUNT_NOT_UNDERSTOOD)


def parse_amount(text: str, currency: str) -> int:
    """Minor units of an amount typed by a person, in the currency's decimals."""
    return parse_minor(plain_amount(text), currency)


def amount_field(minor: int, currency: str) -> str:
    """An amount as a form field is pre-filled with: "2120.00" (no symbol, no grouping: easy to edit)."""
    exponent = exponent_of(currency)
    return f"{Decimal(abs(minor)).scaleb(-exponent):.{exponent}f}"
