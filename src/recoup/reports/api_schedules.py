"""REST routes of the scheduled reports (issue 14): `GET /api/v1/reports/schedules` lists the schedules the
caller sees; `PUT /api/v1/reports/schedules` sets one (on, at a local time and, weekly, a weekday) or, with
`"enabled": false`, switches it off — the same service functions as `recoup report schedule`, audited alike."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints

from recoup.errors import InvalidInput
from recoup.reports.schedule_rules import Frequency, parse_frequency
from recoup.reports.schedule_views import ScheduleForm, schedule_views
from recoup.reports.schedules import CHANGE_PERMISSION, disable_schedule, list_schedules, set_schedule
from recoup.web.deps import ApiUser, Now, SessionDep
from recoup.web.params import MerchantId

router = APIRouter(tags=["reports"])


class ScheduleBody(BaseModel):
    merchant: Annotated[MerchantId | None, Field(description="the merchant's schedule; null: the tenant's")] = None
    frequency: Annotated[str, StringConstraints(max_length=10), Field(description="daily or weekly")]
    at: Annotated[str, StringConstraints(max_length=10),
                  Field(description="local time HH:MM (the merchant's zone, else Asia/Shanghai)")] = "08:00"
    weekday: Annotated[str | None, StringConstraints(max_length=10),
                       Field(description="weekly: mon..sun or 1-7 (default mon)")] = None
    enabled: Annotated[bool, Field(description="false switches the schedule off (it is kept)")] = True


@router.get("/reports/schedules")
def report_schedules(principal: ApiUser, session: SessionDep) -> dict[str, object]:
    """Every schedule you see: scope, frequency, weekday, local time and zone, on or off, recipients by role,
    the last period queued."""
    found = schedule_views(session, principal, list_schedules(session, principal))
    return {"schedules": [view.as_json() for view in found]}


@router.put("/reports/schedules")
def put_report_schedule(body: ScheduleBody, principal: ApiUser, session: SessionDep, now: Now) -> dict[str, object]:
    """Create or change a schedule and switch it on; `"enabled": false` switches it off. Answers the schedule."""
    principal.require(CHANGE_PERMISSION)
    merchant = (body.merchant or "").strip() or None
    if body.enabled:
        if body.weekday is not None and body.frequency.strip().lower() == Frequency.DAILY.value:
            raise InvalidInput("weekday: only a weekly schedule has a weekday")
        form = ScheduleForm(merchant=merchant or "", frequency=body.frequency, weekday=body.weekday or "mon",
                            at=body.at)
        frequency, moment, weekday = form.parsed()
        done = set_schedule(session, principal, merchant, frequency, moment, weekday, now)
    else:
        done = disable_schedule(session, principal, merchant, parse_frequency(body.frequency), now)
    return schedule_views(session, principal, [done])[0].as_json()
