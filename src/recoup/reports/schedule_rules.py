"""Rules of scheduled reports (pure): when a schedule is due and which period it sends.

A daily schedule at HH:MM (local) sends, once that time has passed, the day before: the latest such
period is the one due. A weekly schedule on weekday W at HH:MM sends the seven days before that day.
Only the latest due period is sent (after an outage of several days, the missed ones are not backfilled:
the latest report covers what matters, and `recoup report` gives any other range).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from recoup.errors import InvalidInput


class Frequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_AT = re.compile(r"([0-9]{1,2}):([0-9]{2})")


@dataclass(frozen=True)
class DuePeriod:
    key: str  # e.g. "daily:2026-10-12", "weekly:2026-10-05..2026-10-11"
    first: date
    last: date


def parse_at(text: str) -> tuple[int, int]:
    """"08:30" -> (8, 30); an impossible time is InvalidInput."""
    found = _AT.fullmatch(text.strip())
    hour, minute = (int(found.group(1)), int(found.group(2))) if found else (-1, -1)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise InvalidInput(f"--at: a local time as HH:MM between 00:00 and 23:59, not {text[:20]!r}")
    return hour, minute


def parse_weekday(text: str) -> int:
    """"mon".."sun" or 1..7 (Monday = 1) -> 0..6."""
    value = text.strip().lower()[:3]
    if value in WEEKDAYS:
        return WEEKDAYS.index(value)
    if value.isascii() and value.isdigit() and 1 <= int(value) <= 7:  # not "²": int() refuses it
        return int(value) - 1
    raise InvalidInput(f"--weekday: mon, tue, wed, thu, fri, sat or sun (or 1-7), not {text[:20]!r}")


def parse_frequency(text: str) -> Frequency:
    try:
        return Frequency(text.strip().lower())
    except ValueError:
        raise InvalidInput(f"frequency: daily or weekly, not {text[:20]!r}") from None


def due_period(frequency: Frequency, hour: int, minute: int, weekday: int | None, zone: str,
               now: datetime) -> DuePeriod:
    """The latest period whose sending time (local) is at or before `now`."""
    local = now.astimezone(ZoneInfo(zone))
    today = local.date()
    passed = local.time() >= time(hour, minute)
    if frequency is Frequency.DAILY:
        day = today - timedelta(days=1 if passed else 2)
        return DuePeriod(f"daily:{day.isoformat()}", day, day)
    wanted = 0 if weekday is None else weekday
    back = (today.weekday() - wanted) % 7
    send_day = today - timedelta(days=back)
    if back == 0 and not passed:
        send_day -= timedelta(days=7)
    first, last = send_day - timedelta(days=7), send_day - timedelta(days=1)
    return DuePeriod(f"weekly:{first.isoformat()}..{last.isoformat()}", first, last)


def language_of(locale: str) -> str:
    """A user's locale -> the report's language (zh unless the user reads English)."""
    return "en" if locale.lower().startswith("en") else "zh"


def describe(frequency: str, hour: int, minute: int, weekday: int | None) -> str:
    when = f"{hour:02d}:{minute:02d}"
    if frequency == Frequency.WEEKLY.value and weekday is not None:
        return f"weekly, {WEEKDAYS[weekday]} {when}"
    return f"daily {when}"
