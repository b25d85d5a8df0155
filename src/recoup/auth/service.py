"""Users: adding, disabling, changing passwords; the principal of a user or an API token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from recoup.audit.service import Actor, record
from recoup.auth.models import Tenant, User, user_merchants
from recoup.auth.passwords import hash_password
from recoup.auth.principal import Principal
from recoup.auth.roles import Role
from recoup.auth.sessions import end_user_sessions
from recoup.auth.tokens import LOGIN, revoke_user_tokens, user_of_token
from recoup.auth.tokens import issue_token as issue_token  # where callers have always found it
from recoup.db import utcnow
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


def principal_from_token(session: Session, token: str, now: datetime | None = None) -> Principal:
    return principal_for(session, user_of_token(session, token, now or utcnow()), "api")


def list_users(session: Session, tenant_id: int | None) -> list[User]:
    query = select(User).order_by(User.username)
    if tenant_id is not None:
        query = query.where(User.tenant_id == tenant_id)
    return list(session.execute(query).scalars())
