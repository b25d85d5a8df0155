"""The throttle's rules, as properties over any sequence of failures (pure: no database, no clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from recoup.auth.throttle_rules import (
    Counter,
    ThrottlePolicy,
    account_subject,
    address_subject,
    after_failure,
    just_locked,
    retry_after_seconds,
)

START = datetime(2031, 1, 1, tzinfo=UTC)
POLICY = ThrottlePolicy(account_limit=5, address_limit=20, window=timedelta(minutes=15),
                        lockout=timedelta(minutes=15))
limits = st.integers(min_value=1, max_value=8)
gaps = st.lists(st.integers(min_value=0, max_value=1800), min_size=1, max_size=40)


def _run(limit: int, seconds_between: list[int]) -> list[tuple[datetime, Counter | None, Counter]]:
    counter: Counter | None = None
    now, steps = START, []
    for gap in seconds_between:
        now += timedelta(seconds=gap)
        after = after_failure(counter, now, limit, POLICY)
        steps.append((now, counter, after))
        counter = after
    return steps


@given(limits, gaps)
def test_a_lock_needs_limit_failures_inside_one_window(limit: int, seconds_between: list[int]) -> None:
    for now, _, after in _run(limit, seconds_between):
        assert 1 <= after.failures
        assert now - after.window_started_at < POLICY.window
        if retry_after_seconds(after, now) is not None and after.locked_until == now + POLICY.lockout:
            assert after.failures >= limit  # locked by this failure: the limit was reached in this window


@given(limits, st.lists(st.integers(min_value=0, max_value=60), min_size=8, max_size=8))
def test_limit_failures_within_the_window_always_lock_for_the_lockout(limit: int, seconds_between: list[int]) -> None:
    steps = _run(limit, seconds_between[:limit])  # at most 7 minutes in all: inside one 15-minute window
    locked = [retry_after_seconds(after, now) is not None for now, _, after in steps]
    assert locked == [False] * (limit - 1) + [True]
    now, before, after = steps[-1]
    assert just_locked(before, after, now)
    assert retry_after_seconds(after, now) == POLICY.lockout.total_seconds()


@given(limits, gaps)
def test_fewer_failures_than_the_limit_never_lock(limit: int, seconds_between: list[int]) -> None:
    for now, _, after in _run(limit, seconds_between[:limit - 1]):
        assert retry_after_seconds(after, now) is None


@given(st.integers(min_value=0, max_value=2000))
def test_a_lock_counts_down_then_ends(elapsed: int) -> None:
    locked = Counter(5, START, START + POLICY.lockout)
    wait = retry_after_seconds(locked, START + timedelta(seconds=elapsed, milliseconds=1))
    if elapsed < POLICY.lockout.total_seconds():
        assert wait == POLICY.lockout.total_seconds() - elapsed
    else:
        assert wait is None


@given(limits)
def test_after_a_lock_ends_counting_starts_again(limit: int) -> None:
    locked = Counter(limit, START, START + POLICY.lockout)
    later = START + POLICY.lockout
    assert after_failure(locked, later, limit, POLICY) == Counter(
        1, later, later + POLICY.lockout if limit == 1 else None)


def test_subjects_and_their_limits() -> None:
    assert POLICY.limit_for(account_subject("zhang.wei")) == 5
    assert POLICY.limit_for(address_subject("203.0.113.9")) == 20
