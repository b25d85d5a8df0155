"""The dashboard: each role's work queue first (recoup.workplace.board: cases by deadline, new findings since
the last visit, the week's money, unread alerts, terminals, disputes due soon), then the role's two or three
most useful charts (recoup.reports.dashboard, the report's SVG charts)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from recoup.reports.charts import to_svg
from recoup.reports.dashboard import role_charts
from recoup.web.deps import Now, SessionDep, SettingsDep, WebUser
from recoup.web.templating import render, request_locale
from recoup.workplace.board import build_board

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, principal: WebUser, session: SessionDep, settings: SettingsDep,
              now: Now) -> HTMLResponse:
    board = build_board(session, principal, now, settings.default_timezone)
    charts = role_charts(session, principal, now, request_locale(request))
    return render(
        request, "dashboard.html", user=principal, board=board, now=now,
        charts=[Markup(to_svg(chart)) for chart in charts],  # to_svg escapes every text
    )
