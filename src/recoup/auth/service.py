"""Users, logins and API tokens."""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from recoup.audit.service import Actor, record
from recoup.auth.models import ApiToken, Tenant, User, user_merchants
from recoup.auth.passwords import hash_password, new_api_token, token_digest, verify_password
from recoup.auth.principal import Principal
from recoup.auth.roles import Role
from recoup.errors import Conflict, InvalidInput, NotFound, Unauthorized

MIN_PASSWORD = 8


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
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD} characters")
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


def authenticate(session: Session, username: str, password: str, origin: str) -> Principal:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.active or not verify_password(user.password_hash, password):
        raise Unauthorized("wrong username or password")
    return principal_for(session, user, origin)


def disable_user(session: Session, actor: Actor, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {username!r}")
    if user.active:
        user.active = False
        session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
        record(session, actor, "user.disable", "user", username, tenant_id=user.tenant_id,
               before={"active": True}, after={"active": False})
    return user


def issue_token(session: Session, actor: Actor, username: str, name: str = "") -> str:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {username!r}")
    if not user.active:
        raise Conflict(f"user {username!r} is disabled")
    token = new_api_token()
    session.add(ApiToken(user_id=user.id, name=name, token_hash=token_digest(token), prefix=token[:12]))
    record(session, actor, "token.issue", "user", username, tenant_id=user.tenant_id,
           after={"token_prefix": token[:12], "name": name})
    return token


def principal_from_token(session: Session, token: str) -> Principal:
    row = session.execute(
        select(User).join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_digest(token), ApiToken.revoked.is_(False), User.active.is_(True))
    ).scalar_one_or_none()
    if row is None:
        raise Unauthorized("invalid or revoked API token")
    return principal_for(session, row, "api")


def list_users(session: Session, tenant_id: int | None) -> list[User]:
    query = select(User).order_by(User.username)
    if tenant_id is not None:
        query = query.where(User.tenant_id == tenant_id)
    return list(session.execute(query).scalars())
