"""Alerts that reach a person: the owner's in-app list (with a badge of the unread) and an e-mail.

An alert (cases.case_alerts, raised by cases.service.raise_alert: overdue cases, late confirmations,
new replies, new complaints) belongs to the case's named owner, or, when the case has none, to the
users of the owner role who see the case's merchant. Reading is per user (alert_reads).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Exists, Select, and_, bindparam, exists, false, func, or_, select
from sqlalchemy.orm import Session

from recoup.auth.models import User, user_merchants
from recoup.auth.principal import Principal
from recoup.auth.roles import MERCHANT_ROLES
from recoup.cases.models import Case, CaseAlert
from recoup.config import get_settings
from recoup.errors import RecoupError
from recoup.messaging.default_templates import ALERT_MAIL
from recoup.messaging.models import AlertRead
from recoup.messaging.outbox import enqueue
from recoup.messaging.rules import RuleError, normalise_email

log = logging.getLogger("recoup.messaging")


def _owned(tenant_id: object, username: object, role: object,
           merchant_ids: list[str] | BindParameter[Any] | None) -> ColumnElement[bool]:
    """The alerts of a user: theirs by name, or their role's when the case has no named owner; only of their
    merchants when `merchant_ids` is given. Values or bind parameters alike (see _unread_count)."""
    owned = or_(CaseAlert.owner == username, and_(CaseAlert.owner == "", CaseAlert.owner_role == role))
    mine = and_(CaseAlert.tenant_id == tenant_id, owned)
    if merchant_ids is None:
        return mine
    merchant = func.coalesce(Case.merchant_id, CaseAlert.merchant_id)  # a complaint's alert names its merchant
    return and_(mine, merchant.in_(merchant_ids))


def _read_by(user_id: object) -> Exists:
    return exists().where(AlertRead.alert_id == CaseAlert.id, AlertRead.user_id == user_id)


def _mine(principal: Principal) -> ColumnElement[bool]:
    if principal.limited_to_merchants and not principal.merchant_ids:
        return false()
    merchants = sorted(principal.merchant_ids) if principal.limited_to_merchants else None
    return _owned(principal.tenant_id, principal.username, principal.role.value, merchants)


def _unread(principal: Principal) -> ColumnElement[bool]:
    return ~_read_by(principal.user_id)


@cache
def _unread_count(limited: bool) -> Select[int]:
    """unread_count's statement, built once per scope shape (every page's menu asks it): the user's tenant,
    name, role, id and merchants as parameters."""
    merchants: BindParameter[Any] | None = bindparam("merchant_ids", expanding=True) if limited else None
    mine = _owned(bindparam("tenant_id"), bindparam("username"), bindparam("role"), merchants)
    return (select(func.count()).select_from(CaseAlert).outerjoin(Case, Case.id == CaseAlert.case_id)
            .where(mine, ~_read_by(bindparam("user_id"))))


def unread_count(session: Session, principal: Principal) -> int:
    """The badge: one COUNT query (none for a merchant role without merchants: it sees no alert)."""
    limited = principal.limited_to_merchants
    if limited and not principal.merchant_ids:
        return 0
    values: dict[str, object] = {"tenant_id": principal.tenant_id, "username": principal.username,
                                 "role": principal.role.value, "user_id": principal.user_id}
    if limited:
        values["merchant_ids"] = sorted(principal.merchant_ids)
    return int(session.execute(_unread_count(limited), values).scalar_one())


@dataclass(frozen=True)
class AlertView:
    id: int
    case_number: str  # "" for a complaint's alert before any case
    kind: str
    message: str
    at: datetime
    read: bool
    complaint_id: int | None = None


def alerts_for(session: Session, principal: Principal, limit: int = 200) -> list[AlertView]:
    rows = session.execute(
        select(CaseAlert, Case.number, _read_by(principal.user_id).label("read"))
        .outerjoin(Case, Case.id == CaseAlert.case_id)
        .where(_mine(principal)).order_by(CaseAlert.created_at.desc(), CaseAlert.id.desc()).limit(limit)).all()
    return [AlertView(alert.id, number or "", alert.kind, alert.message, alert.created_at, bool(was_read),
                      alert.complaint_id)
            for alert, number, was_read in rows]


def mark_read(session: Session, principal: Principal, alert_ids: list[int] | None, now: datetime) -> int:
    """Mark the user's alerts read (these ids, or all of them); returns how many were unread."""
    query = (select(CaseAlert.id).outerjoin(Case, Case.id == CaseAlert.case_id)
             .where(_mine(principal), _unread(principal)))
    if alert_ids is not None:
        query = query.where(CaseAlert.id.in_(alert_ids))
    ids = list(session.execute(query).scalars())
    session.add_all(AlertRead(user_id=principal.user_id, alert_id=alert_id, read_at=now) for alert_id in ids)
    session.flush()
    return len(ids)


def recipients(session: Session, alert: CaseAlert, merchant_id: str) -> list[User]:
    """Who an alert is for: the named owner, else the active users of the owner role seeing the merchant."""
    query = select(User).where(User.tenant_id == alert.tenant_id, User.active.is_(True))
    if alert.owner:
        query = query.where(User.username == alert.owner)
    else:
        query = query.where(User.role == alert.owner_role)
    users = list(session.execute(query.order_by(User.id)).scalars())
    merchant_roles = {role.value for role in MERCHANT_ROLES}
    seen = set(session.execute(select(user_merchants.c.user_id).where(
        user_merchants.c.merchant_id == merchant_id)).scalars())
    return [user for user in users if user.role not in merchant_roles or user.id in seen]


def notify_by_email(session: Session, alert: CaseAlert, case: Case | None, now: datetime) -> int:
    """E-mail the alert to each of its people who has an e-mail address (through the outbox); a complaint's
    alert before any case links to the complaint."""
    queued = 0
    merchant_id = case.merchant_id if case is not None else alert.merchant_id or ""
    for user in recipients(session, alert, merchant_id):
        if not user.email:
            continue
        try:
            address = normalise_email(user.email)
        except RuleError:
            log.warning("user %s has an e-mail address that is not one; alert %s not e-mailed", user.username,
                        alert.id)
            continue
        settings = get_settings()
        wording = ALERT_MAIL["en" if user.locale == "en" else "zh_CN"]
        where = f"cases/{case.number}" if case is not None else f"complaints/{alert.complaint_id}"
        facts = {"case_number": case.number if case is not None else f"#{alert.complaint_id}",
                 "message": alert.message, "link": f"{settings.public_url.rstrip('/')}/{where}"}
        try:
            enqueue(session, tenant_id=alert.tenant_id, channel="email", to=address,
                    subject=wording.subject.format(**facts), body=wording.body.format(**facts), now=now,
                    case_id=case.id if case is not None else None, complaint_id=alert.complaint_id,
                    purpose="alert", dedupe_key=f"alert:{alert.id}:{user.id}",
                    keys=settings.keyring(), created_by="worker")
        except RecoupError as error:
            log.warning("alert %s not e-mailed to %s: %s", alert.id, user.username, error.message)
            continue
        queued += 1
    return queued



def raise_complaint_alert(session: Session, *, tenant_id: int, complaint_id: int, merchant_id: str,
                          owner_role: str, kind: str, message: str, now: datetime) -> CaseAlert:
    """Tell the complaint's owner role (the merchant's staff, or the rung it escalated to) that it needs them:
    in their alert list, with a badge, and by e-mail, like a case's alert."""
    alert = CaseAlert(tenant_id=tenant_id, case_id=None, complaint_id=complaint_id, merchant_id=merchant_id,
                      kind=kind, message=message, owner="", owner_role=owner_role, created_at=now)
    session.add(alert)
    session.flush()
    notify_by_email(session, alert, None, now)
    return alert
