"""Terminal pages with the stop button (SPEC section 2, step 1).

Stopping asks for a confirmation and a reason; the page then shows who stopped the terminal, when and
why. A form the user's role cannot use is not shown (a cashier may stop but not restart; the auditor
sees no form); a refused form comes back with the error beside it and what was typed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.auth.roles import Permission, may
from recoup.errors import InvalidInput, NotFound, RecoupError
from recoup.merchants.models import Merchant
from recoup.merchants.repository import get_terminal, list_terminals
from recoup.merchants.service import restart_terminal, stop_terminal
from recoup.web.csrf import check_csrf
from recoup.web.deps import SessionDep, WebUser
from recoup.web.errors import page_message
from recoup.web.params import TerminalId
from recoup.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)
Reason = Annotated[str, Form(max_length=2000)]
REASON_REQUIRED = "a reason is required: say what you saw, e.g. charged 2,120.00 instead of 212.00"


def _merchants(session: Session, ids: set[str]) -> dict[str, Merchant]:
    if not ids:
        return {}
    rows = session.execute(select(Merchant).where(Merchant.merchant_id.in_(sorted(ids)))).scalars()
    return {merchant.merchant_id: merchant for merchant in rows}


@router.get("/terminals", response_class=HTMLResponse)
def terminals_page(request: Request, principal: WebUser, session: SessionDep) -> HTMLResponse:
    terminals = list_terminals(session, principal)
    return render(request, "terminals.html", user=principal, terminals=terminals,
                  merchants=_merchants(session, {t.merchant_id for t in terminals}))


def _draw(request: Request, principal: Principal, session: Session, terminal_id: str, *, status_code: int = 200,
          form_error: dict[str, object] | None = None, done: str = "") -> HTMLResponse:
    terminal = get_terminal(session, principal, terminal_id)
    merchant = session.get(Merchant, terminal.merchant_id)
    return render(request, "terminal.html", status_code=status_code, user=principal, terminal=terminal,
                  merchant=merchant, zone=merchant.timezone if merchant else None, form_error=form_error or {},
                  may_stop=may(principal.role, Permission.STOP_TERMINAL),
                  may_restart=may(principal.role, Permission.RESTART_TERMINAL), done=done)


@router.get("/terminals/{terminal_id}", response_class=HTMLResponse)
def terminal_page(terminal_id: TerminalId, request: Request, principal: WebUser, session: SessionDep,
                  done: Annotated[str, Query(max_length=20)] = "") -> HTMLResponse:
    return _draw(request, principal, session, terminal_id, done=done if done in ("stopped", "restarted") else "")


def _refused(request: Request, principal: Principal, session: Session, terminal_id: str, form: str,
             error: RecoupError, reason: str) -> Response:
    session.rollback()
    message = page_message(request_locale(request), error.message)
    return _draw(request, principal, session, terminal_id, status_code=error.status,
                 form_error={"form": form, "message": message, "reason": reason})


@router.post("/terminals/{terminal_id}/stop", dependencies=[Depends(check_csrf)])
def stop(terminal_id: TerminalId, request: Request, principal: WebUser, session: SessionDep,
         reason: Reason = "") -> Response:
    try:
        principal.require(Permission.STOP_TERMINAL)
        if not reason.strip():
            raise InvalidInput(REASON_REQUIRED)
        stop_terminal(session, principal, terminal_id, reason)
    except RecoupError as error:
        if isinstance(error, NotFound):
            raise
        return _refused(request, principal, session, terminal_id, "stop", error, reason)
    return RedirectResponse(f"/terminals/{terminal_id}?done=stopped", status_code=303)


@router.post("/terminals/{terminal_id}/restart", dependencies=[Depends(check_csrf)])
def restart(terminal_id: TerminalId, request: Request, principal: WebUser, session: SessionDep,
            reason: Reason = "") -> Response:
    try:
        restart_terminal(session, principal, terminal_id, reason)
    except RecoupError as error:
        if isinstance(error, NotFound):
            raise
        return _refused(request, principal, session, terminal_id, "restart", error, reason)
    return RedirectResponse(f"/terminals/{terminal_id}?done=restarted", status_code=303)
