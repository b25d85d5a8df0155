"""Terminal pages with the stop button (SPEC section 2, step 1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from recoup.merchants.repository import get_terminal, list_terminals
from recoup.merchants.service import restart_terminal, stop_terminal
from recoup.web.csrf import check_csrf
from recoup.web.deps import SessionDep, WebUser
from recoup.web.params import TerminalId
from recoup.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/terminals", response_class=HTMLResponse)
def terminals_page(request: Request, principal: WebUser, session: SessionDep) -> HTMLResponse:
    return render(request, "terminals.html", user=principal, terminals=list_terminals(session, principal))


@router.get("/terminals/{terminal_id}", response_class=HTMLResponse)
def terminal_page(terminal_id: TerminalId, request: Request, principal: WebUser, session: SessionDep) -> HTMLResponse:
    return render(request, "terminal.html", user=principal, terminal=get_terminal(session, principal, terminal_id))


@router.post("/terminals/{terminal_id}/stop", dependencies=[Depends(check_csrf)])
def stop(terminal_id: TerminalId, principal: WebUser, session: SessionDep,
         reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    stop_terminal(session, principal, terminal_id, reason)
    return RedirectResponse(f"/terminals/{terminal_id}", status_code=303)


@router.post("/terminals/{terminal_id}/restart", dependencies=[Depends(check_csrf)])
def restart(terminal_id: TerminalId, principal: WebUser, session: SessionDep,
            reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    restart_terminal(session, principal, terminal_id, reason)
    return RedirectResponse(f"/terminals/{terminal_id}", status_code=303)
