"""The findings inbox page."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from recoup.reconciliation.inbox import SORTS, finding_page
from recoup.reconciliation.inbox_form import CAUSES, KINDS, read_form
from recoup.reconciliation.runs import run_view
from recoup.web.deps import SessionDep, SettingsDep, WebUser
from recoup.web.errors import page_message
from recoup.web.params import AmountText, MerchantId
from recoup.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)
Short = Annotated[str, Query(max_length=40)]  # a code, a number, a date or an amount as typed
Long = Annotated[str, Query(max_length=200)]  # part of a merchant's name


@router.get("/findings", response_class=HTMLResponse)
def inbox(request: Request, principal: WebUser, session: SessionDep, kind: Short = "", cause: Short = "",
          rrn: Short = "", last4: Short = "", terminal: Short = "", merchant: Long = "", date_from: Short = "",
          date_to: Short = "", min_charged: Short = "", max_charged: Short = "", min_at_stake: Short = "",
          max_at_stake: Short = "", sort: Short = "", page: Short = "",
          merchant_id: MerchantId = "", min_amount: AmountText = "", max_amount: AmountText = "") -> HTMLResponse:
    """The findings list: filters by what a person knows, sorting by any shown column, 50 a page, counts by kind.
    A refused filter is shown next to its field, with what was typed; the others still apply."""
    typed = {"kind": kind, "cause": cause, "rrn": rrn, "last4": last4, "terminal": terminal,
             "merchant": merchant or merchant_id, "date_from": date_from, "date_to": date_to,
             "min_charged": min_charged, "max_charged": max_charged,
             "min_at_stake": min_at_stake or min_amount, "max_at_stake": max_at_stake or max_amount}
    form = read_form(typed, sort, page)
    found = finding_page(session, principal, form.wanted, form.page)
    form.page = found.page
    locale = request_locale(request)
    errors = {name: page_message(locale, message) for name, message in form.errors.items()}
    return render(request, "reconciliation/findings.html", user=principal, form=form, found=found, errors=errors,
                  kinds=KINDS, causes=CAUSES, sorts=SORTS)


OUTCOME_WORDS = {"opened": "Cases opened", "updated": "Amount at stake updated", "resolved": "Resolved by later files",
                 "left": "Left for a person (alerted)", "reopened": "Reopened", "not_judged": "Not judged yet"}


@router.get("/reconciliation/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, principal: WebUser, session: SessionDep, settings: SettingsDep,
             run_id: Annotated[str, Path(max_length=20)]) -> HTMLResponse:
    """What one saved run found and did to the cases, by kind."""
    view = run_view(session, principal, run_id)
    saved = view.saved_at.astimezone(ZoneInfo(settings.default_timezone)).strftime("%Y-%m-%d %H:%M")
    return render(request, "reconciliation/run.html", user=principal, run=view, saved=saved,
                  zone=settings.default_timezone, outcomes=OUTCOME_WORDS)
