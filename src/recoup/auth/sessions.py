"""Browser sessions held on the server (SPEC section 9: sessions revocable, with an idle timeout).

The cookie carries only a random session id; the table holds its SHA-256. A session ends at logout,
when the user's password changes or the user is disabled, after `idle` without a request, and at
`max_age` after login whatever happens. Each login starts a new id (no session fixation). Services
flush; the caller commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from recoup.auth.models import User, WebSession
from recoup.auth.passwords import token_digest
from recoup.config import Settings

# last_seen_at is written at most this often (each request of a page would otherwise write a row).
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    max_age: timedelta = timedelta(hours=8)


def session_policy(settings: Settings) -> SessionPolicy:
    return SessionPolicy(idle=timedelta(seconds=settings.session_idle_seconds),
                         max_age=timedelta(seconds=settings.session_max_age_seconds))


@dataclass(frozen=True)
class Client:
    """Where a login came from, kept with the session for the user's and the auditor's eyes."""

    address: str = ""
    user_agent: str = ""


def start_session(session: Session, user_id: int, now: datetime, policy: SessionPolicy,
                  client: Client | None = None) -> str:
    """A new session for the user: its id (for the cookie; only its hash is stored). The user's ended
    sessions are pruned."""
    client = client or Client()
    session.execute(delete(WebSession).where(
        WebSession.user_id == user_id,
        or_(WebSession.expires_at <= now, WebSession.revoked_at.is_not(None),
            WebSession.last_seen_at <= now - policy.idle),
    ))
    session_id = secrets.token_urlsafe(32)
    session.add(WebSession(token_hash=token_digest(session_id), user_id=user_id, created_at=now, last_seen_at=now,
                           expires_at=now + policy.max_age, address=client.address[:64],
                           user_agent=client.user_agent[:200]))
    session.flush()
    return session_id


def user_of_session(session: Session, session_id: str, now: datetime, policy: SessionPolicy) -> User | None:
    """The active user whose live session this is, or None (unknown, ended, idle too long, expired)."""
    row = session.execute(select(WebSession).where(WebSession.token_hash == token_digest(session_id))
                          ).scalar_one_or_none()
    if row is None or row.revoked_at is not None or row.expires_at <= now or row.last_seen_at + policy.idle <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.flush()
    return user


def end_session(session: Session, session_id: str, now: datetime) -> None:
    session.execute(update(WebSession).where(WebSession.token_hash == token_digest(session_id),
                                             WebSession.revoked_at.is_(None)).values(revoked_at=now))


def end_user_sessions(session: Session, user_id: int, now: datetime) -> int:
    """End every live session of the user (password changed, user disabled); how many there were."""
    done = session.execute(update(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None),
                                                    WebSession.expires_at > now).values(revoked_at=now))
    return int(getattr(done, "rowcount", 0) or 0)
