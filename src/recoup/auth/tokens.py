"""API tokens: issued with a name, a kind and an expiry, listed, revoked, pruned (SPEC section 9).

Only a token's SHA-256 and its first 12 characters (its prefix, by which people name it) are stored.
A "login" token comes from POST /auth/login and expires after `login_token_hours`; issuing one deletes
the user's expired login tokens, so they do not pile up. A "personal" token is issued by an operator
(`recoup user token`), with an optional expiry. Services flush; the caller commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from recoup.audit.service import Actor, record
from recoup.auth.models import ApiToken, User
from recoup.auth.passwords import TOKEN_PREFIX, new_api_token, token_digest
from recoup.db import utcnow
from recoup.errors import Conflict, InvalidInput, NotFound, Unauthorized

LOGIN = "login"
PERSONAL = "personal"
PREFIX_LENGTH = 12
# last_used_at is written at most this often (each API call would otherwise write a row).
TOUCH_EVERY = timedelta(minutes=1)


class TokenRefused(Unauthorized):
    pass


def _user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def issue_token(session: Session, actor: Actor, username: str, name: str = "", *, kind: str = PERSONAL,
                expires_at: datetime | None = None, now: datetime | None = None) -> str:
    """A new token for the user (returned once: only its hash is kept); audited."""
    moment = now or utcnow()
    user = _user(session, username)
    if not user.active:
        raise Conflict(f"user {username!r} is disabled")
    if expires_at is not None and expires_at <= moment:
        raise InvalidInput("a token's expiry must be in the future")
    if kind == LOGIN:
        prune_login_tokens(session, user.id, moment)
    token = new_api_token()
    session.add(ApiToken(user_id=user.id, name=name[:80], token_hash=token_digest(token), prefix=token[:PREFIX_LENGTH],
                         kind=kind, created_at=moment, expires_at=expires_at))
    record(session, actor, "token.issue", "user", username, tenant_id=user.tenant_id, at=moment,
           after={"token_prefix": token[:PREFIX_LENGTH], "name": name[:80], "kind": kind,
                  "expires_at": expires_at.isoformat() if expires_at else None})
    return token


def prune_login_tokens(session: Session, user_id: int, now: datetime) -> int:
    """Delete the user's expired login tokens; how many."""
    done = session.execute(delete(ApiToken).where(ApiToken.user_id == user_id, ApiToken.kind == LOGIN,
                                                  ApiToken.expires_at <= now))
    return int(getattr(done, "rowcount", 0) or 0)


def user_of_token(session: Session, token: str, now: datetime) -> User:
    """The active user a live token belongs to; its last use noted (at most once a minute)."""
    found = session.execute(select(ApiToken, User).join(User, ApiToken.user_id == User.id)
                            .where(ApiToken.token_hash == token_digest(token))).one_or_none()
    if found is None or found[0].revoked or not found[1].active:
        raise TokenRefused("invalid or revoked API token")
    row, user = found
    if row.expires_at is not None and row.expires_at <= now:
        raise TokenRefused("the API token has expired: log in again (POST /api/v1/auth/login) or ask for a new one")
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        row.last_used_at = now
        session.flush()
    return user


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    return list(session.execute(select(ApiToken).where(ApiToken.user_id == user_id)
                                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).scalars())


def user_tokens(session: Session, username: str) -> list[ApiToken]:
    return tokens_of(session, _user(session, username).id)


def revoke_token(session: Session, actor: Actor, prefix: str, *, user_id: int | None = None) -> ApiToken:
    """Revoke the token named by its prefix (only among `user_id`'s when given); audited."""
    if not prefix.startswith(TOKEN_PREFIX) or len(prefix) != PREFIX_LENGTH:
        raise InvalidInput(f"a token prefix is {PREFIX_LENGTH} characters starting with {TOKEN_PREFIX!r}, "
                           f"as `recoup user tokens` shows it (got {prefix[:40]!r})")
    query = select(ApiToken).where(ApiToken.prefix == prefix)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    found = session.execute(query).scalars().all()
    if not found:
        raise NotFound(f"no token {prefix!r}")
    if len(found) > 1:
        raise Conflict(f"{len(found)} tokens start with {prefix!r}: revoke them by user (`recoup user disable`)")
    token = found[0]
    owner = session.get(User, token.user_id)
    if not token.revoked:
        token.revoked = True
        session.flush()
        record(session, actor, "token.revoke", "user", owner.username if owner else "",
               tenant_id=owner.tenant_id if owner else None, before={"revoked": False},
               after={"token_prefix": prefix, "revoked": True})
    return token


def revoke_user_tokens(session: Session, user_id: int, *, kind: str | None = None) -> int:
    """Revoke the user's live tokens (of one kind when given); how many."""
    query = update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked.is_(False))
    if kind is not None:
        query = query.where(ApiToken.kind == kind)
    done = session.execute(query.values(revoked=True))
    return int(getattr(done, "rowcount", 0) or 0)
