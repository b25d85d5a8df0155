"""When failed logins lock an account or an address (SPEC section 9: brute force is throttled). Pure.

A counter per subject ("user:NAME" or "addr:IP") counts failures inside a window that starts at the
first failure; the failure that reaches the subject's limit locks it for the lockout period. A lock
ends when the period is over or an operator unlocks the account; a success resets the account's
counter (never the address's: logging in to one's own account must not wash an address clean).
Called by `recoup.auth.throttle`, which holds the counter row locked while it applies these rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    account_limit: int = 5
    address_limit: int = 20
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)

    def limit_for(self, subject: str) -> int:
        return self.account_limit if subject.startswith(ACCOUNT) else self.address_limit


ACCOUNT = "user:"
ADDRESS = "addr:"


def account_subject(username: str) -> str:
    return ACCOUNT + username


def address_subject(address: str) -> str:
    return ADDRESS + address


@dataclass(frozen=True)
class Counter:
    failures: int
    window_started_at: datetime
    locked_until: datetime | None = None


def retry_after_seconds(counter: Counter | None, now: datetime) -> int | None:
    """Whole seconds until the subject may try again (at least 1), or None when it is not locked."""
    if counter is None or counter.locked_until is None or counter.locked_until <= now:
        return None
    return max(1, math.ceil((counter.locked_until - now).total_seconds()))


def after_failure(counter: Counter | None, now: datetime, limit: int, policy: ThrottlePolicy) -> Counter:
    """The counter once one more failure is counted: a new window when the last one is over, locked
    for the lockout period when the failures in the window reach `limit`."""
    if counter is None or now - counter.window_started_at >= policy.window or _lock_over(counter, now):
        counter = Counter(0, now)
    failures = counter.failures + 1
    locked_until = now + policy.lockout if failures >= limit else counter.locked_until
    return Counter(failures, counter.window_started_at, locked_until)


def just_locked(before: Counter | None, after: Counter, now: datetime) -> bool:
    """True when this failure is the one that locked the subject."""
    return retry_after_seconds(after, now) is not None and retry_after_seconds(before, now) is None


def _lock_over(counter: Counter, now: datetime) -> bool:
    return counter.locked_until is not None and counter.locked_until <= now
