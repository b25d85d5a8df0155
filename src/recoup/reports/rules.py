"""The arithmetic of a periodic report (SPEC section 8, issue 14): periods, rates, percentiles, ageing.

Pure: no framework, no database. `recoup.reports.service.summary` checks its arguments here, asks the
repository for the period's and the previous period's aggregates and turns them into numbers here.

Periods are merchant-local days, both ends included. The previous period is the same number of days
just before the first day (a report of 1-31 March compares with 29 January-28 February).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from recoup.bounds import check_day
from recoup.errors import InvalidInput
from recoup.money import CURRENCY_EXPONENTS

MAX_DAYS = 366 * 2  # the longest range one report covers (two years, leap days included)
DEFAULT_DAYS = 30  # the API's range when none is given: the last 30 days, today included
DEFAULT_ZONE = "Asia/Shanghai"  # SPEC: merchants' default zone; a report of one merchant uses its own
TOP_RATES = 10  # rows of worst terminals and worst cashiers
# Ageing of the period's cases still open, aged now (they are open now, not at the period's end):
# (label, first whole day of age, first day of the next bucket).
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-2d", 0, 3), ("3-7d", 3, 8), ("8-30d", 8, 31), (">30d", 31, None),
)


@dataclass(frozen=True)
class Period:
    """Merchant-local days `first` to `last`, both included, and the instants that bound them."""

    first: date
    last: date
    zone: str

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        """The first instant of the period (midnight of `first` in the zone)."""
        return datetime.combine(self.first, time.min, ZoneInfo(self.zone))

    @property
    def end(self) -> datetime:
        """The first instant after the period (midnight after `last`)."""
        return datetime.combine(self.last + timedelta(days=1), time.min, ZoneInfo(self.zone))

    def previous(self) -> Period:
        """The period of the same number of days just before this one."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1), self.zone)

    def as_of(self, now: datetime) -> datetime:
        """The moment deadlines are judged at: the period's end, or now if sooner (open cases are aged now)."""
        return min(self.end, now)

    def each_day(self) -> list[date]:
        return [self.first + timedelta(days=offset) for offset in range(self.days)]


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def spans(first: date, last: date) -> list[tuple[bool, date, date]]:
    """[first, last] cut into what the rollups hold: (True, a, b) for the whole months whose first day is in
    [a, b], (False, a, b) for the days [a, b] at either end outside a whole month. A year is one span of
    twelve months; 10-20 March one span of days."""
    start = first if first.day == 1 else _next_month(first)
    after = _next_month(last) if (last + timedelta(days=1)).day == 1 else last.replace(day=1)
    if start >= after:
        return [(False, first, last)]
    cut = [(True, start, after - timedelta(days=1))]
    if first < start:
        cut.insert(0, (False, first, start - timedelta(days=1)))
    if after <= last:
        cut.append((False, after, last))
    return cut


def check_zone(zone: str) -> str:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {zone!r}") from None
    return zone


def check_currency(currency: str) -> str:
    code = currency.strip().upper()
    if code not in CURRENCY_EXPONENTS:
        known = ", ".join(sorted(CURRENCY_EXPONENTS))
        raise InvalidInput(f"currency: unknown currency {currency[:10]!r} (one of {known})")
    return code


def check_period(first: date, last: date, zone: str) -> Period:
    """The report's period, or InvalidInput saying what is wrong with it (nothing else happens)."""
    check_day("from", first)
    check_day("to", last)
    if first > last:
        raise InvalidInput(f"from ({first.isoformat()}) is after to ({last.isoformat()}): give from <= to")
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise InvalidInput(f"the range {first.isoformat()} to {last.isoformat()} covers {days} days; "
                           f"a report covers at most {MAX_DAYS} days: split it into shorter ranges")
    return Period(first, last, check_zone(zone))


def default_range(now: datetime, zone: str) -> tuple[date, date]:
    """The last DEFAULT_DAYS local days, today (in `zone`) included."""
    today = now.astimezone(ZoneInfo(zone)).date()
    return today - timedelta(days=DEFAULT_DAYS - 1), today


def rate(part: int, whole: int) -> float:
    """part / whole as a fraction rounded to 4 places; 0 when the whole is 0."""
    return round(part / whole, 4) if whole else 0.0


def per_thousand(findings: int, transactions: int) -> float:
    """Findings per 1,000 transactions, 2 places; 0 when there were no transactions to compare with."""
    return round(findings * 1000 / transactions, 2) if transactions else 0.0


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The `fraction` percentile by linear interpolation between closest ranks (the median for 0.5,
    like `statistics.median`); None for no values. Rounded to 2 places (hours)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    value = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    return round(value, 2)


def hours_between(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 3600)


def age_cutoffs(as_of: datetime) -> list[tuple[str, datetime | None]]:
    """Each ageing bucket with the latest opening moment it takes (None: no lower limit): a case opened
    after `as_of - 3 days` is in "0-2d", after `as_of - 8 days` in "3-7d", and so on."""
    return [(label, as_of - timedelta(days=until) if until is not None else None)
            for label, _since, until in AGE_BUCKETS]


def age_bucket(opened_at: datetime, as_of: datetime) -> str:
    """The bucket of a case opened at `opened_at`, aged at `as_of` (the rule the SQL CASE follows)."""
    days = (as_of - opened_at).days
    for label, since, until in AGE_BUCKETS:
        if days >= since and (until is None or days < until):
            return label
    return AGE_BUCKETS[0][0]
