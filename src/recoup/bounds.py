"""The limits every value a user types must keep (SPEC section 9: bad input of any kind gets a clear error).

Pure and shared: the web layer's parameter types (recoup.web.params), money parsing (recoup.money) and the
search and inbox filters read their limits here, so that a value too large for a 64-bit column, a date
past what date arithmetic can hold, or a digit from another script is refused with a message, never
turned into a 500 by the database driver or by `date + 1 day`.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from recoup.errors import InvalidInput

MAX_DATABASE_ID = 2**63 - 1  # BIGINT on PostgreSQL, INTEGER on SQLite
MAX_OFFSET = 10**7
MAX_LIMIT = 1000
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2100, 12, 31)
ASCII_DIGITS = re.compile(r"[0-9]+")
ASCII_DIGITS_MESSAGE = "use the digits 0-9 only"


def is_ascii_digits(text: str) -> bool:
    """True for a non-empty run of 0-9; str.isdigit() and int() also take '²', '１２' and '٣'."""
    return ASCII_DIGITS.fullmatch(text) is not None


def ascii_digits(name: str, text: str) -> str:
    """`text` when it is made of the digits 0-9 only, else InvalidInput naming `name`."""
    if not is_ascii_digits(text):
        raise InvalidInput(f"{name}: {ASCII_DIGITS_MESSAGE}, not {text[:20]!r}")
    return text


def check_day(name: str, day: date) -> date:
    """A day Recoup can hold and compute with: from 1970-01-01 to 2100-12-31."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(f"{name}: a date from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}, not {day}")
    return day


def day_after(day: date) -> date | None:
    """The next day, or None past the calendar's end (9999-12-31): an end bound of 'no limit'."""
    return day + timedelta(days=1) if day < date.max else None
