"""The findings inbox page."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from recoup.errors import InvalidInput
from recoup.reconciliation.api import finding_filter
from recoup.reconciliation.findings import Kind
from recoup.reconciliation.inbox import kind_counts, list_findings
from recoup.reconciliation.models import StoredFinding
from recoup.reconciliation.runs import run_view
from recoup.web.deps import SessionDep, SettingsDep, WebUser
from recoup.web.params import AmountText, KindName, MerchantId
from recoup.web.templating import render

router = APIRouter(include_in_schema=False)
FILTERS = ("kind", "merchant_id", "date_from", "date_to", "min_amount", "max_amount")
DayText = Annotated[str, Query(max_length=10)]  # YYYY-MM-DD or empty (the form sends empty fields)


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"not a date (YYYY-MM-DD): {text!r}") from None


@router.get("/findings", response_class=HTMLResponse)
def inbox(request: Request, principal: WebUser, session: SessionDep, kind: KindName = "", merchant_id: MerchantId = "",
          date_from: DayText = "", date_to: DayText = "", min_amount: AmountText = "", max_amount: AmountText = "",
          ) -> HTMLResponse:
    typed = (kind, merchant_id, date_from, date_to, min_amount, max_amount)
    values = {name: value.strip() or None for name, value in zip(FILTERS, typed, strict=True)}
    rows: list[StoredFinding] = []
    total, error = 0, None
    try:
        wanted = finding_filter(values["kind"], values["merchant_id"], _date(values["date_from"]),
                                _date(values["date_to"]), values["min_amount"], values["max_amount"], limit=200)
        total, rows = list_findings(session, principal, wanted)
    except InvalidInput as problem:
        error = problem.message
    return render(request, "reconciliation/findings.html", user=principal,
                  values=values, rows=rows, total=total, error=error, kinds=[k.value for k in Kind],
                  counts=kind_counts(session, principal))


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
