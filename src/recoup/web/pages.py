"""The dashboard: what needs attention today, and the role's two or three most useful charts
(recoup.reports.dashboard, the report's SVG charts)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from recoup.merchants.repository import list_merchants, list_terminals
from recoup.reports.charts import to_svg
from recoup.reports.dashboard import role_charts
from recoup.web.deps import Now, SessionDep, WebUser
from recoup.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, principal: WebUser, session: SessionDep, now: Now) -> HTMLResponse:
    terminals = list_terminals(session, principal)
    charts = role_charts(session, principal, now, request_locale(request))
    return render(
        request, "dashboard.html", user=principal,
        merchant_count=len(list_merchants(session, principal)),
        terminal_count=len(terminals),
        stopped=[t for t in terminals if t.stopped],
        charts=[Markup(to_svg(chart)) for chart in charts],  # to_svg escapes every text
    )
