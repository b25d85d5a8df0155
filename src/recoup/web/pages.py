"""The dashboard: what needs attention today."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from recoup.merchants.repository import list_merchants, list_terminals
from recoup.web.deps import SessionDep, WebUser
from recoup.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, principal: WebUser, session: SessionDep) -> HTMLResponse:
    terminals = list_terminals(session, principal)
    return render(
        request, "dashboard.html", user=principal,
        merchant_count=len(list_merchants(session, principal)),
        terminal_count=len(terminals),
        stopped=[t for t in terminals if t.stopped],
    )
