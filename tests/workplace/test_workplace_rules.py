"""The workplace's pure rules: the merchant's week and day, what is due when, and the visit marker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from recoup.auth.roles import Role
from recoup.workplace.rules import (
    FIRST_VISIT_LOOKBACK,
    SAME_VISIT,
    Due,
    Visit,
    due,
    end_of_today,
    new_since,
    next_visit,
    queue_kind,
    week_of,
)

ZONES = [ZoneInfo(name) for name in ("Asia/Shanghai", "UTC", "America/New_York", "Pacific/Kiritimati",
                                     "Asia/Kolkata", "Europe/Berlin")]
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC))


@given(now=moments, zone=st.sampled_from(ZONES))
def test_the_week_holds_now_and_starts_on_a_local_monday_midnight(now: datetime, zone: ZoneInfo) -> None:
    start, end = week_of(now, zone)
    assert start <= now < end
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    assert (local_start.weekday(), local_start.hour, local_start.minute) == (0, 0, 0)
    assert (local_end.weekday(), local_end.hour) == (0, 0)
    assert (local_end.date() - local_start.date()).days == 7


def test_a_shanghai_week_begins_on_sunday_afternoon_in_utc() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    friday = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert week_of(friday, shanghai) == (datetime(2026, 11, 15, 16, 0, tzinfo=UTC),
                                         datetime(2026, 11, 22, 16, 0, tzinfo=UTC))
    sunday_night_local = datetime(2026, 11, 15, 15, 59, tzinfo=UTC)  # 23:59 Sunday in Shanghai
    assert week_of(sunday_night_local, shanghai)[1] == datetime(2026, 11, 15, 16, 0, tzinfo=UTC)


@given(now=moments, zone=st.sampled_from(ZONES), offset=st.integers(min_value=-3000, max_value=3000))
def test_due_today_means_not_past_and_before_the_merchants_midnight(now: datetime, zone: ZoneInfo,
                                                                    offset: int) -> None:
    deadline = now + timedelta(minutes=offset)
    found = due(deadline, now, zone)
    if deadline < now:
        assert found == Due.OVERDUE
    elif deadline.astimezone(zone).date() == now.astimezone(zone).date():
        assert found == Due.TODAY
    else:
        assert found == Due.LATER
    assert end_of_today(now, zone) > now


def test_a_reload_is_the_same_visit_and_a_new_visit_moves_the_marker() -> None:
    start = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    first = next_visit(None, start)
    assert first == Visit(start, None)
    assert new_since(first, start) == start - FIRST_VISIT_LOOKBACK
    reload = next_visit(first, start + SAME_VISIT - timedelta(seconds=1))
    assert reload == first
    later = start + SAME_VISIT
    second = next_visit(reload, later)
    assert second == Visit(later, start)
    assert new_since(second, later) == start


def test_whose_cases_each_role_works() -> None:
    assert {role: queue_kind(role) for role in Role} == {
        Role.CASHIER: "mine", Role.MERCHANT_FINANCE: "mine", Role.PROVIDER_SUPPORT: "rung",
        Role.ACQUIRER_OPS: "rung", Role.AUDITOR: "all", Role.ADMIN: "all"}
