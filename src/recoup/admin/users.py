"""Users as an admin manages them from the pages: within the admin's own tenant, through the same services
as `recoup user` (recoup.auth.service), every field checked first so that a refusal names its field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.admin.forms import Problems
from recoup.audit.service import record
from recoup.auth.models import Tenant, User, user_merchants
from recoup.auth.principal import Principal
from recoup.auth.roles import MERCHANT_ROLES, Permission, Role
from recoup.auth.service import MAX_PASSWORD, MIN_PASSWORD, add_user, change_password, disable_user
from recoup.errors import NotFound
from recoup.merchants.models import Merchant

USERNAME = re.compile(r"[A-Za-z0-9._@-]{1,80}")


@dataclass
class UserForm:
    username: str = ""
    role: str = ""
    password: str = ""
    display_name: str = ""
    email: str = ""
    locale: str = "zh_CN"
    merchant_ids: list[str] = field(default_factory=list)


def tenant_users(session: Session, principal: Principal) -> list[tuple[User, list[str]]]:
    """The users of the admin's tenant, each with the merchants they work for."""
    principal.require(Permission.MANAGE_USERS)
    users = list(session.execute(select(User).where(User.tenant_id == principal.tenant_id)
                                 .order_by(User.username)).scalars())
    links = session.execute(select(user_merchants.c.user_id, user_merchants.c.merchant_id)
                            .where(user_merchants.c.user_id.in_([u.id for u in users]))).all()
    merchants: dict[int, list[str]] = {}
    for user_id, merchant_id in links:
        merchants.setdefault(user_id, []).append(merchant_id)
    return [(user, sorted(merchants.get(user.id, []))) for user in users]


def tenant_user(session: Session, principal: Principal, username: str) -> User:
    """A user of the admin's own tenant (another tenant's user is not found)."""
    principal.require(Permission.MANAGE_USERS)
    user = session.execute(select(User).where(User.username == username, User.tenant_id == principal.tenant_id)
                           ).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def create_user(session: Session, principal: Principal, form: UserForm) -> User:
    principal.require(Permission.MANAGE_USERS)
    problems = Problems()
    if not USERNAME.fullmatch(form.username.strip()):
        problems.add("username", "1 to 80 letters, digits or . _ @ -")
    elif session.execute(select(User.id).where(User.username == form.username.strip())).first():
        problems.add("username", "this username is taken")
    if form.role not in Role.__members__.values():
        problems.add("role", "choose a role")
    _check_password(problems, form.password)
    tenant_merchants = set(session.execute(select(Merchant.merchant_id)
                                           .where(Merchant.tenant_id == principal.tenant_id)).scalars())
    if set(form.merchant_ids) - tenant_merchants:
        problems.add("merchant_ids", "choose merchants of your organisation")
    elif form.role in MERCHANT_ROLES and not form.merchant_ids:
        problems.add("merchant_ids", "a cashier or merchant finance user works for at least one merchant")
    if form.locale not in ("zh_CN", "en"):
        problems.add("locale", "choose a language")
    problems.check()
    tenant = session.get(Tenant, principal.tenant_id)
    assert tenant is not None  # the admin's own tenant
    return add_user(session, principal.actor(), tenant=tenant, username=form.username.strip(),
                    password=form.password, role=Role(form.role), merchant_ids=form.merchant_ids,
                    display_name=form.display_name.strip()[:200], email=form.email.strip()[:200], locale=form.locale)


def set_active(session: Session, principal: Principal, username: str, active: bool, now: datetime) -> User:
    """Disable (sessions and tokens end at once) or enable a user of the admin's tenant; not oneself."""
    user = tenant_user(session, principal, username)
    if user.id == principal.user_id:
        problems = Problems()
        problems.add("_form", "you cannot disable or enable yourself")
        problems.check()
    if not active:
        return disable_user(session, principal.actor(), username, now)
    if not user.active:
        user.active = True
        session.flush()
        record(session, principal.actor(), "user.enable", "user", username, tenant_id=user.tenant_id,
               before={"active": False}, after={"active": True}, at=now)
    return user


def reset_password(session: Session, principal: Principal, username: str, password: str, now: datetime) -> int:
    tenant_user(session, principal, username)
    problems = Problems()
    _check_password(problems, password)
    problems.check()
    return change_password(session, principal.actor(), username, password, now)


def _check_password(problems: Problems, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        problems.add("password", "at least {count} characters", count=MIN_PASSWORD)
    elif len(password) > MAX_PASSWORD:
        problems.add("password", "at most {count} characters", count=MAX_PASSWORD)
