"""The scheduled reports' page (issue 14): `GET /reports/schedules` lists the daily and weekly summaries the
user sees (scope, frequency, weekday, local time and zone, on or off, who receives them, the last period
sent); a user who may change them (recoup.reports.schedules.CHANGE_PERMISSION) sets one on at a time of day
and weekday (`POST /reports/schedules`) or switches it off (`POST /reports/schedules/disable`), through the
same service functions as `recoup report schedule`, audited the same way. A refused value is told beside its
field, in the user's language, with what was typed kept."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.auth.roles import may
from recoup.errors import InvalidInput, NotFound, RecoupError
from recoup.merchants.repository import list_merchants
from recoup.reports.rules import DEFAULT_ZONE
from recoup.reports.schedule_rules import WEEKDAYS, Frequency, parse_frequency
from recoup.reports.schedule_views import ScheduleForm, ScheduleView, schedule_views
from recoup.reports.schedules import CHANGE_PERMISSION, disable_schedule, list_schedules, set_schedule
from recoup.web.csrf import check_csrf
from recoup.web.deps import Now, SessionDep, WebUser
from recoup.web.errors import page_message
from recoup.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)
PAGE = "/reports/schedules"
Field = Annotated[str, Form(max_length=40)]
DONE = {"set": "Schedule saved and switched on.",
        "disabled": "Schedule switched off. It is kept: save it again to switch it on."}


@router.get(PAGE, response_class=HTMLResponse)
def schedules_page(request: Request, principal: WebUser, session: SessionDep,
                   merchant: Annotated[str, Query(max_length=40)] = "",
                   frequency: Annotated[str, Query(max_length=10)] = "",
                   done: Annotated[str, Query(max_length=20)] = "") -> HTMLResponse:
    """The list, and the form (filled with the schedule named by ?merchant=&frequency=, to change it)."""
    views = schedule_views(session, principal, list_schedules(session, principal))
    form = _form_for(views, merchant.strip(), frequency.strip().lower())
    flash = page_message(request_locale(request), DONE[done]) if done in DONE else None
    return _draw(request, principal, session, views, form, flash=flash)


@router.post(PAGE, dependencies=[Depends(check_csrf)])
def set_page(request: Request, principal: WebUser, session: SessionDep, now: Now, merchant: Field = "",
             frequency: Field = "", weekday: Field = "", at: Field = "") -> Response:
    """Create or change a schedule and switch it on (schedules.set_schedule)."""
    principal.require(CHANGE_PERMISSION)
    form = ScheduleForm(merchant=merchant.strip(), frequency=frequency.strip().lower(), weekday=weekday.strip(),
                        at=at.strip())
    try:
        chosen, moment, day = form.parsed()
        set_schedule(session, principal, form.merchant or None, chosen, moment, day, now)
    except RecoupError as problem:
        return _refused(request, principal, session, form, problem)
    return RedirectResponse(f"{PAGE}?done=set#schedules", status_code=303)


@router.post(f"{PAGE}/disable", dependencies=[Depends(check_csrf)])
def disable_page(request: Request, principal: WebUser, session: SessionDep, now: Now, merchant: Field = "",
                 frequency: Field = "") -> Response:
    """Switch a schedule off (schedules.disable_schedule); it is kept, with its time."""
    principal.require(CHANGE_PERMISSION)
    form = ScheduleForm(merchant=merchant.strip(), frequency=frequency.strip().lower())
    try:
        disable_schedule(session, principal, form.merchant or None, parse_frequency(form.frequency), now)
    except RecoupError as problem:
        form.errors["_list"] = problem.message
        return _refused(request, principal, session, form, problem)
    return RedirectResponse(f"{PAGE}?done=disabled#schedules", status_code=303)


def _refused(request: Request, principal: Principal, session: Session, form: ScheduleForm,
             problem: RecoupError) -> HTMLResponse:
    """The page again, the refusal beside its field and the typed values kept. Nothing was changed: the
    request's transaction holds no change when a service refuses (it checks before it writes)."""
    if not form.errors:
        form.errors["merchant" if isinstance(problem, NotFound) or problem.status == 403 else "_form"] = problem.message
    locale = request_locale(request)
    form.errors = {name: page_message(locale, message) for name, message in form.errors.items()}
    views = schedule_views(session, principal, list_schedules(session, principal))
    status = 422 if problem.status in (401, 403) or isinstance(problem, InvalidInput) else problem.status
    return _draw(request, principal, session, views, form, status=status)


def _form_for(views: list[ScheduleView], merchant: str, frequency: str) -> ScheduleForm:
    for view in views:
        if view.merchant_id == merchant and view.frequency == frequency:
            return ScheduleForm(merchant=view.merchant_id, frequency=view.frequency, weekday=view.weekday or "mon",
                                at=view.at)
    return ScheduleForm(merchant=merchant, frequency=frequency if frequency in tuple(Frequency) else "daily")


def _draw(request: Request, principal: Principal, session: Session, views: list[ScheduleView],
          form: ScheduleForm, *, status: int = 200, flash: str | None = None) -> HTMLResponse:
    may_change = may(principal.role, CHANGE_PERMISSION)
    return render(request, "reports/schedules.html", status_code=status, user=principal, views=views, form=form,
                  may_change=may_change, tenant_scope=not principal.limited_to_merchants,
                  merchants=list_merchants(session, principal), weekdays=WEEKDAYS, flash=flash,
                  frequencies=[item.value for item in Frequency], default_zone=DEFAULT_ZONE)
