"""Users: adding, disabling, changing passwords; the principal of a user or an API token."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from recoup.audit.service import Actor, record
from recoup.auth.models import ApiToken, Tenant, User, WebSession, user_merchants
from recoup.auth.passwords import hash_password, token_digest
from recoup.auth.principal import Principal
from recoup.auth.roles import Role
from recoup.auth.sessions import TOUCH_EVERY as SESSION_TOUCH_EVERY
from recoup.auth.sessions import SessionPolicy, end_user_sessions
from recoup.auth.tokens import LOGIN, TOUCH_EVERY, TokenRefused, revoke_user_tokens
from recoup.auth.tokens import issue_token as issue_token  # where callers have always found it
from recoup.db import FixedRead, utcnow
from recoup.errors import Conflict, InvalidInput, NotFound

MIN_PASSWORD = 8
MAX_PASSWORD = 200


def get_or_create_tenant(session: Session, code: str, name: str | None = None) -> Tenant:
    tenant = session.execute(select(Tenant).where(Tenant.code == code)).scalar_one_or_none()
    if tenant is None:
        tenant = Tenant(code=code, name=name or code)
        session.add(tenant)
        session.flush()
    return tenant


def tenant_by_code(session: Session, code: str) -> Tenant:
    tenant = session.execute(select(Tenant).where(Tenant.code == code)).scalar_one_or_none()
    if tenant is None:
        raise NotFound(f"no tenant {code!r}")
    return tenant


def merchant_ids_of(session: Session, user_id: int) -> frozenset[str]:
    rows = session.execute(select(user_merchants.c.merchant_id).where(user_merchants.c.user_id == user_id))
    return frozenset(r[0] for r in rows)


def principal_for(session: Session, user: User, origin: str) -> Principal:
    return Principal(
        user_id=user.id, username=user.username, tenant_id=user.tenant_id, role=Role(user.role),
        merchant_ids=merchant_ids_of(session, user.id), locale=user.locale, origin=origin,
    )


def add_user(
    session: Session, actor: Actor, *, tenant: Tenant, username: str, password: str, role: Role,
    merchant_ids: list[str] | None = None, display_name: str = "", email: str = "", locale: str = "zh_CN",
) -> User:
    username = username.strip()
    if not username or len(username) > 80:
        raise InvalidInput("a username of 1 to 80 characters is required")
    _check_password(password)
    if session.execute(select(User.id).where(User.username == username)).first():
        raise Conflict(f"user {username!r} exists already")
    user = User(
        tenant_id=tenant.id, username=username, display_name=display_name or username, email=email,
        role=role.value, password_hash=hash_password(password), locale=locale, active=True,
    )
    session.add(user)
    session.flush()
    for merchant_id in sorted(set(merchant_ids or [])):
        session.execute(insert(user_merchants).values(user_id=user.id, merchant_id=merchant_id))
    record(session, actor, "user.add", "user", username, tenant_id=tenant.id,
           after={"role": role.value, "merchants": sorted(set(merchant_ids or [])), "active": True})
    return user


def disable_user(session: Session, actor: Actor, username: str, now: datetime | None = None) -> User:
    """Disable a user: their tokens are revoked and their browser sessions end at once."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {username!r}")
    if user.active:
        user.active = False
        revoked = revoke_user_tokens(session, user.id)
        ended = end_user_sessions(session, user.id, now or utcnow())
        record(session, actor, "user.disable", "user", username, tenant_id=user.tenant_id,
               before={"active": True}, after={"active": False, "tokens_revoked": revoked, "sessions_ended": ended})
    return user


def change_password(session: Session, actor: Actor, username: str, password: str,
                    now: datetime | None = None) -> int:
    """Set a new password: every browser session and login token of the user ends (a personal token,
    issued by an operator, stays); audited. How many sessions were ended."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {username!r}")
    _check_password(password)
    user.password_hash = hash_password(password)
    ended = end_user_sessions(session, user.id, now or utcnow())
    revoked = revoke_user_tokens(session, user.id, kind=LOGIN)
    record(session, actor, "user.password", "user", username, tenant_id=user.tenant_id, at=now,
           after={"sessions_ended": ended, "login_tokens_revoked": revoked})
    return ended


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"the password must have at most {MAX_PASSWORD} characters")


# Who is asking, once per request: one indexed read of the token (or browser session), its user and the user's
# merchants (one row per merchant), as plain rows. The statements are built once (no statement building and
# no cache key per request); the rules are those of auth.tokens.user_of_token and auth.sessions.user_of_session.
# Each runs straight through the driver on PostgreSQL (recoup.db.FixedRead), on the tables' columns.
_USERS: Any = User.__table__
_TOKENS: Any = ApiToken.__table__
_SESSIONS: Any = WebSession.__table__
_USER_COLUMNS = (_USERS.c.id.label("user_id"), _USERS.c.username, _USERS.c.tenant_id, _USERS.c.role,
                 _USERS.c.locale, _USERS.c.active, user_merchants.c.merchant_id)
_BY_TOKEN = FixedRead(
    select(_TOKENS.c.id, _TOKENS.c.revoked, _TOKENS.c.expires_at, _TOKENS.c.last_used_at, *_USER_COLUMNS)
    .join(_USERS, _TOKENS.c.user_id == _USERS.c.id)
    .outerjoin(user_merchants, user_merchants.c.user_id == _USERS.c.id)
    .where(_TOKENS.c.token_hash == bindparam("digest")))
_BY_SESSION = FixedRead(
    select(_SESSIONS.c.id, _SESSIONS.c.revoked_at, _SESSIONS.c.expires_at, _SESSIONS.c.last_seen_at, *_USER_COLUMNS)
    .join(_USERS, _SESSIONS.c.user_id == _USERS.c.id)
    .outerjoin(user_merchants, user_merchants.c.user_id == _USERS.c.id)
    .where(_SESSIONS.c.token_hash == bindparam("digest")))
_BY_USERNAME = FixedRead(
    select(*_USER_COLUMNS).select_from(_USERS)
    .outerjoin(user_merchants, user_merchants.c.user_id == _USERS.c.id)
    .where(_USERS.c.username == bindparam("username")))
_TOUCH_TOKEN = update(_TOKENS).where(_TOKENS.c.id == bindparam("row_id")).values(last_used_at=bindparam("now"))
_TOUCH_SESSION = (update(_SESSIONS).where(_SESSIONS.c.id == bindparam("row_id"))
                  .values(last_seen_at=bindparam("now")))


def _principal_of(rows: list[Any], origin: str) -> Principal:
    first = rows[0]
    return Principal(user_id=first.user_id, username=first.username, tenant_id=first.tenant_id,
                     role=Role(first.role), merchant_ids=frozenset(r.merchant_id for r in rows if r.merchant_id),
                     locale=first.locale, origin=origin)


def active_principal(session: Session, username: str, origin: str) -> Principal | None:
    """The principal of the active user `username` (None: no such user, or disabled), in one statement."""
    rows = _BY_USERNAME.rows(session, {"username": username})
    return _principal_of(rows, origin) if rows and rows[0].active else None


def principal_from_token(session: Session, token: str, now: datetime | None = None) -> Principal:
    """The principal of a live API token of an active user (TokenRefused otherwise); its last use noted (at
    most once a minute)."""
    moment = now or utcnow()
    rows = _BY_TOKEN.rows(session, {"digest": token_digest(token)})
    if not rows or rows[0].revoked or not rows[0].active:
        raise TokenRefused("invalid or revoked API token")
    first = rows[0]
    if first.expires_at is not None and first.expires_at <= moment:
        raise TokenRefused("the API token has expired: log in again (POST /api/v1/auth/login) or ask for a new one")
    if first.last_used_at is None or moment - first.last_used_at >= TOUCH_EVERY:
        session.execute(_TOUCH_TOKEN, {"row_id": first.id, "now": moment})
    return _principal_of(rows, "api")


def principal_of_session(session: Session, session_id: str, now: datetime, policy: SessionPolicy) -> Principal | None:
    """The principal of a live browser session of an active user, or None (unknown, ended, idle too long,
    expired); its last use noted (at most once a minute)."""
    rows = _BY_SESSION.rows(session, {"digest": token_digest(session_id)})
    if not rows:
        return None
    first = rows[0]
    if (first.revoked_at is not None or first.expires_at <= now or first.last_seen_at + policy.idle <= now
            or not first.active):
        return None
    if now - first.last_seen_at >= SESSION_TOUCH_EVERY:
        session.execute(_TOUCH_SESSION, {"row_id": first.id, "now": now})
    return _principal_of(rows, "web")


def list_users(session: Session, tenant_id: int | None) -> list[User]:
    query = select(User).order_by(User.username)
    if tenant_id is not None:
        query = query.where(User.tenant_id == tenant_id)
    return list(session.execute(query).scalars())
