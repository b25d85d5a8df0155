"""Report schedules (issue 14): list, set and disable them; who receives a schedule's e-mail.

Who may change a schedule: the roles that act on the reports (Permission.RECONCILE: merchant finance,
provider support, acquirer operations, admins); a merchant role only for its own merchants, a tenant's
schedule (no merchant) only a tenant-wide role. Every change is audited. Services flush; the caller commits.

Recipients (active users with an e-mail address): of a merchant's schedule, the merchant's finance users
(role merchant_finance, linked to the merchant); of a tenant's schedule, its operations users: acquirer
operations and provider support (the roles that watch every merchant). Each in their own language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.audit.service import record
from recoup.auth.models import User, user_merchants
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission, Role
from recoup.errors import Forbidden, InvalidInput, NotFound
from recoup.merchants.repository import get_merchant
from recoup.reports.models import ReportSchedule
from recoup.reports.schedule_rules import Frequency, describe

CHANGE_PERMISSION = Permission.RECONCILE
TENANT_RECIPIENTS = (Role.ACQUIRER_OPS.value, Role.PROVIDER_SUPPORT.value)
MERCHANT_RECIPIENTS = (Role.MERCHANT_FINANCE.value,)


@dataclass(frozen=True)
class Recipient:
    username: str
    email: str
    locale: str


def list_schedules(session: Session, principal: Principal) -> list[ReportSchedule]:
    """The schedules the caller sees: the tenant's, or (merchant roles) their merchants'."""
    principal.require(Permission.READ)
    query = select(ReportSchedule).where(ReportSchedule.tenant_id == principal.tenant_id)
    if principal.limited_to_merchants:
        query = query.where(ReportSchedule.merchant_id.in_(sorted(principal.merchant_ids)))
    return list(session.execute(query.order_by(ReportSchedule.scope, ReportSchedule.frequency)).scalars())


def set_schedule(session: Session, principal: Principal, merchant_id: str | None, frequency: Frequency,
                 at: tuple[int, int], weekday: int | None, now: datetime) -> ReportSchedule:
    """Create or change (and enable) the merchant's or the tenant's daily or weekly schedule."""
    scope = _check_scope(session, principal, merchant_id)
    if frequency is Frequency.DAILY and weekday is not None:
        raise InvalidInput("--weekday: only a weekly schedule has a weekday")
    if frequency is Frequency.WEEKLY and weekday is None:
        weekday = 0
    found = _find(session, principal.tenant_id, scope, frequency)
    before = _facts(found) if found is not None else None
    if found is None:
        found = ReportSchedule(tenant_id=principal.tenant_id, merchant_id=merchant_id or None, scope=scope,
                               frequency=frequency.value, last_period="")
        session.add(found)
    found.hour, found.minute = at
    found.weekday, found.enabled = weekday, True
    found.updated_by, found.updated_at = principal.username, now
    session.flush()
    record(session, principal.actor(), "report_schedule.set", "report_schedule", str(found.id), before=before,
           after=_facts(found), at=now)
    return found


def disable_schedule(session: Session, principal: Principal, merchant_id: str | None, frequency: Frequency,
                     now: datetime) -> ReportSchedule:
    scope = _check_scope(session, principal, merchant_id)
    found = _find(session, principal.tenant_id, scope, frequency)
    if found is None:
        where = f"merchant {merchant_id}" if merchant_id else "the tenant"
        raise NotFound(f"no {frequency.value} report schedule for {where}")
    before = _facts(found)
    found.enabled, found.updated_by, found.updated_at = False, principal.username, now
    session.flush()
    record(session, principal.actor(), "report_schedule.disable", "report_schedule", str(found.id), before=before,
           after=_facts(found), at=now)
    return found


def recipients(session: Session, schedule: ReportSchedule) -> list[Recipient]:
    """Who receives the schedule's e-mail (see the module's note), by username."""
    query = select(User).where(User.tenant_id == schedule.tenant_id, User.active.is_(True), User.email != "")
    if schedule.merchant_id:
        query = query.join(user_merchants, user_merchants.c.user_id == User.id).where(
            user_merchants.c.merchant_id == schedule.merchant_id, User.role.in_(MERCHANT_RECIPIENTS))
    else:
        query = query.where(User.role.in_(TENANT_RECIPIENTS))
    return [Recipient(user.username, user.email, user.locale)
            for user in session.execute(query.order_by(User.username)).scalars()]


def _check_scope(session: Session, principal: Principal, merchant_id: str | None) -> str:
    principal.require(CHANGE_PERMISSION)
    if merchant_id:
        return get_merchant(session, principal, merchant_id).merchant_id  # NotFound: another tenant's, or unseen
    if principal.limited_to_merchants:
        raise Forbidden("a merchant role schedules its own merchants' reports: give --merchant")
    return ""


def _find(session: Session, tenant_id: int, scope: str, frequency: Frequency) -> ReportSchedule | None:
    return session.execute(select(ReportSchedule).where(
        ReportSchedule.tenant_id == tenant_id, ReportSchedule.scope == scope,
        ReportSchedule.frequency == frequency.value)).scalar_one_or_none()


def _facts(schedule: ReportSchedule) -> dict[str, object]:
    return {"merchant_id": schedule.merchant_id, "frequency": schedule.frequency, "enabled": schedule.enabled,
            "when": describe(schedule.frequency, schedule.hour, schedule.minute, schedule.weekday)}
