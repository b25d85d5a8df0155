"""What the schedules page and `GET /api/v1/reports/schedules` show of each report schedule (issue 14).

One `ScheduleView` per schedule the caller sees (recoup.reports.schedules.list_schedules): its scope named
(the merchant's name, or the tenant), its local time and the zone the worker reads it in (the merchant's,
else recoup.reports.rules.DEFAULT_ZONE, as recoup.reports.mailing does), who receives it (counted by role,
from schedules.recipients) and the last period queued and when. Also `parse_form`: the fields of a schedule
as people type them, each refusal kept beside its field. Read-only; the caller owns the transaction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.auth.models import User
from recoup.auth.principal import Principal
from recoup.errors import InvalidInput
from recoup.merchants.models import Merchant
from recoup.merchants.repository import list_merchants
from recoup.reports.models import ReportSchedule, ReportSent
from recoup.reports.rules import DEFAULT_ZONE
from recoup.reports.schedule_rules import WEEKDAYS, Frequency, parse_at, parse_frequency, parse_weekday
from recoup.reports.schedules import recipients


@dataclass(frozen=True)
class LastSent:
    period: str
    first_day: str
    last_day: str
    queued_at: datetime


@dataclass(frozen=True)
class ScheduleView:
    id: int
    merchant_id: str  # "" for the tenant's schedule
    merchant_name: str
    frequency: str
    weekday: str | None  # "mon".."sun" (weekly only)
    at: str  # "08:00", local
    zone: str
    enabled: bool
    recipients: int
    roles: dict[str, int]  # role code -> how many recipients have it
    last_sent: LastSent | None
    updated_by: str
    updated_at: datetime

    def as_json(self) -> dict[str, object]:
        last = self.last_sent
        return {"id": self.id, "scope": "merchant" if self.merchant_id else "tenant",
                "merchant_id": self.merchant_id or None, "merchant_name": self.merchant_name or None,
                "frequency": self.frequency, "weekday": self.weekday, "at": self.at, "timezone": self.zone,
                "enabled": self.enabled, "recipients": {"count": self.recipients, "roles": self.roles},
                "last_sent": None if last is None else {
                    "period": last.period, "from": last.first_day, "to": last.last_day,
                    "queued_at": last.queued_at.isoformat()},
                "updated_by": self.updated_by, "updated_at": self.updated_at.isoformat()}


def schedule_views(session: Session, principal: Principal, found: list[ReportSchedule]) -> list[ScheduleView]:
    """The schedules as people read them: the tenant's first, then by merchant, daily before weekly."""
    merchants = {merchant.merchant_id: merchant for merchant in list_merchants(session, principal)}
    sent = _last_sent(session, [schedule.id for schedule in found])
    views = [_view(session, schedule, merchants.get(schedule.merchant_id or ""), sent.get(schedule.id))
             for schedule in found]
    return sorted(views, key=lambda view: (view.merchant_id, view.frequency))


def zone_of(merchant: Merchant | None) -> str:
    return (merchant.timezone if merchant is not None else "") or DEFAULT_ZONE


def _view(session: Session, schedule: ReportSchedule, merchant: Merchant | None,
          last: LastSent | None) -> ScheduleView:
    people = recipients(session, schedule)
    roles = _roles_of(session, schedule.tenant_id, [person.username for person in people])
    weekly = schedule.frequency == Frequency.WEEKLY.value and schedule.weekday is not None
    return ScheduleView(
        id=schedule.id, merchant_id=schedule.merchant_id or "", merchant_name=merchant.name if merchant else "",
        frequency=schedule.frequency, weekday=WEEKDAYS[schedule.weekday or 0] if weekly else None,
        at=f"{schedule.hour:02d}:{schedule.minute:02d}", zone=zone_of(merchant), enabled=schedule.enabled,
        recipients=len(people), roles=roles, last_sent=last, updated_by=schedule.updated_by,
        updated_at=schedule.updated_at)


def _roles_of(session: Session, tenant_id: int, usernames: list[str]) -> dict[str, int]:
    if not usernames:
        return {}
    found = session.execute(select(User.role).where(User.tenant_id == tenant_id, User.username.in_(usernames)))
    return dict(sorted(Counter(str(role) for role in found.scalars()).items()))


def _last_sent(session: Session, schedule_ids: list[int]) -> dict[int, LastSent]:
    """Each schedule's latest queued period."""
    if not schedule_ids:
        return {}
    rows = session.execute(select(ReportSent).where(ReportSent.schedule_id.in_(schedule_ids))
                           .order_by(ReportSent.queued_at, ReportSent.id)).scalars()
    return {row.schedule_id: LastSent(row.period, row.first_day.isoformat(), row.last_day.isoformat(), row.queued_at)
            for row in rows}  # later rows replace earlier ones: the latest wins


@dataclass
class ScheduleForm:
    """A schedule as typed: the values kept as they were, the refusals by field name."""

    merchant: str = ""
    frequency: str = "daily"
    weekday: str = "mon"
    at: str = "08:00"
    errors: dict[str, str] = field(default_factory=dict)

    def parsed(self) -> tuple[Frequency, tuple[int, int], int | None]:
        """The frequency, the time and the weekday (weekly only); InvalidInput when a field is refused
        (all of them are checked first, each refusal noted in `errors`)."""
        frequency, moment, weekday = Frequency.DAILY, (0, 0), None
        try:
            frequency = parse_frequency(self.frequency)
        except InvalidInput as problem:
            self.errors["frequency"] = problem.message
        try:
            moment = parse_at(self.at)
        except InvalidInput as problem:
            self.errors["at"] = problem.message
        if frequency is Frequency.WEEKLY:
            try:
                weekday = parse_weekday(self.weekday)
            except InvalidInput as problem:
                self.errors["weekday"] = problem.message
        if self.errors:
            raise InvalidInput("; ".join(self.errors.values()))
        return frequency, moment, weekday
