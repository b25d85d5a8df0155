"""Logging in with a password, throttled per account and per address (SPEC section 9), and unlocking.

Every attempt costs one Argon2 verification, whether the user exists or not (a dummy hash stands in),
except while the account or the address is locked: then none is made for anyone. Each failure, each
lockout and each refusal while locked is audited. Services flush; the caller commits, and commits a
refused attempt too (`LoginRefused`), so that the failure it counted and audited is not rolled back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.audit.service import Actor, record
from recoup.auth import passwords, throttle
from recoup.auth.models import User
from recoup.auth.principal import Principal
from recoup.auth.service import principal_for
from recoup.auth.throttle_rules import (
    ThrottlePolicy,
    account_subject,
    address_subject,
    just_locked,
    retry_after_seconds,
)
from recoup.errors import NotFound, RecoupError


class LoginRefused(RecoupError):
    """A login refused: wrong credentials (401) or too many failures (429, `retry_after` seconds)."""

    status = 401
    retry_after: int | None = None


class WrongCredentials(LoginRefused):
    def __init__(self) -> None:
        super().__init__("wrong username or password")


class TooManyAttempts(LoginRefused):
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many failed logins for this account or from this address: try again in {retry_after} seconds, "
            "or ask an administrator to unlock the account (`recoup user unlock NAME`)",
            detail={"retry_after_seconds": retry_after},
        )
        self.retry_after = retry_after
        self.minutes = max(1, math.ceil(retry_after / 60))


@dataclass(frozen=True)
class LoginAttempt:
    username: str
    password: str
    origin: str  # "api" or "web"
    address: str

    @property
    def subjects(self) -> tuple[str, str]:
        return account_subject(self.username), address_subject(self.address)


def authenticate(session: Session, attempt: LoginAttempt, policy: ThrottlePolicy, now: datetime) -> Principal:
    """The principal of a right username and password; `LoginRefused` otherwise (counted and audited).
    Locks are taken in one order everywhere: the account's counter, the address's, the audit head."""
    user = session.execute(select(User).where(User.username == attempt.username)).scalar_one_or_none()
    wait = throttle.wait_seconds(session, attempt.subjects, now)
    if wait is None:
        known = user is not None and user.active
        password_hash = user.password_hash if user is not None and known else passwords.dummy_hash()
        if not passwords.verify_password(password_hash, attempt.password) or user is None or not known:
            raise _failed(session, attempt, user, policy, now, "wrong password" if known else "unknown or disabled")
        account, address = attempt.subjects
        wait = throttle.wait_seconds_locked(session, account, [address], now)
        if wait is None:
            throttle.reset(session, [account])
            return principal_for(session, user, attempt.origin)
    _audit(session, attempt, user, "login.refused", now, {"retry_after_seconds": wait})
    raise TooManyAttempts(wait)


def _failed(session: Session, attempt: LoginAttempt, user: User | None, policy: ThrottlePolicy, now: datetime,
            reason: str) -> LoginRefused:
    """Count the failure against the account and the address, audit it (and a lockout it caused); the
    refusal to raise: 429 when either is locked now (by this failure or, in a burst, by one counted just
    before), 401 otherwise."""
    counted = [(subject, *throttle.count_failure(session, subject, now, policy)) for subject in attempt.subjects]
    _audit(session, attempt, user, throttle.FAILURE_ACTION, now, {"reason": reason})
    for subject, before, after in counted:
        if just_locked(before, after, now) and after.locked_until is not None:
            _audit(session, attempt, user, "login.lockout", now,
                   {"subject": subject, "failures": after.failures, "locked_until": after.locked_until.isoformat()})
    waits = [wait for _, _, after in counted if (wait := retry_after_seconds(after, now)) is not None]
    return TooManyAttempts(max(waits)) if waits else WrongCredentials()


def _audit(session: Session, attempt: LoginAttempt, user: User | None, action: str, now: datetime,
           facts: dict[str, object]) -> None:
    actor = Actor("anonymous", user.tenant_id if user is not None else None, attempt.origin)
    record(session, actor, action, "login", attempt.username[:120], after={"address": attempt.address, **facts},
           at=now)


def unlock(session: Session, actor: Actor, username: str, now: datetime | None = None) -> list[str]:
    """End the account's lockout and clear the counters of the addresses its failures came from; audited.
    The subjects that were locked."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {username!r}")
    subjects = {account_subject(username), *throttle.address_subjects_that_failed(session, username)}
    locked = throttle.reset(session, subjects)
    record(session, actor, "login.unlock", "user", username, tenant_id=user.tenant_id,
           before={"locked": locked}, after={"cleared": sorted(subjects)}, at=now)
    return locked
