"""Admin pages for merchants and terminals: lists, adding, editing (name, MCC, time zone; model, firmware,
location, last maintenance)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from recoup.admin.forms import REFUSALS, WebActor, attempt, done, done_message, field_errors
from recoup.admin.registry import MerchantForm, TerminalForm, save_merchant, save_terminal
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.merchants.repository import get_merchant, get_terminal, list_merchants, list_terminals
from recoup.web.csrf import check_csrf
from recoup.web.deps import SessionDep, WebUser, database
from recoup.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)
Field = Annotated[str, Form(max_length=300)]


@router.get("/admin/merchants", response_class=HTMLResponse)
def merchants_page(request: Request, principal: WebUser, session: SessionDep) -> HTMLResponse:
    principal.require(Permission.MANAGE_MERCHANTS)
    terminals: dict[str, list[str]] = {}
    for terminal in list_terminals(session, principal):
        terminals.setdefault(terminal.merchant_id, []).append(terminal.terminal_id)
    return render(request, "admin/merchants.html", user=principal, merchants=list_merchants(session, principal),
                  terminals=terminals, done=done_message(request, request_locale(request)))


@router.get("/admin/merchants/new", response_class=HTMLResponse)
def new_merchant_page(request: Request, principal: WebUser) -> HTMLResponse:
    principal.require(Permission.MANAGE_MERCHANTS)
    return _merchant_form(request, principal, MerchantForm(), None, {})


@router.get("/admin/merchants/{merchant_id}", response_class=HTMLResponse)
def merchant_page(merchant_id: str, request: Request, principal: WebUser, session: SessionDep) -> HTMLResponse:
    principal.require(Permission.MANAGE_MERCHANTS)
    merchant = get_merchant(session, principal, merchant_id)
    form = MerchantForm(merchant.merchant_id, merchant.name, merchant.mcc, merchant.timezone, merchant.city)
    return _merchant_form(request, principal, form, merchant.merchant_id, {},
                          done=done_message(request, request_locale(request)))


def _merchant_form(request: Request, principal: Principal, form: MerchantForm, existing: str | None,
                   errors: dict[str, str], *, done: str = "", status_code: int = 200) -> HTMLResponse:
    terminals = []
    if existing:
        with database(request).unit_of_work() as session:
            terminals = list_terminals(session, principal, existing)
    return render(request, "admin/merchant.html", status_code=status_code, user=principal, form=form,
                  existing=existing, errors=errors, done=done, terminals=terminals)


@router.post("/admin/merchants", dependencies=[Depends(check_csrf)])
def add_merchant(request: Request, principal: WebActor, merchant_id: Field = "", name: Field = "", mcc: Field = "",
                 timezone: Field = "", city: Field = "") -> Response:
    return _save_merchant(request, principal, MerchantForm(merchant_id, name, mcc, timezone, city), None)


@router.post("/admin/merchants/{merchant_id}", dependencies=[Depends(check_csrf)])
def edit_merchant(merchant_id: str, request: Request, principal: WebActor, name: Field = "", mcc: Field = "",
                  timezone: Field = "", city: Field = "") -> Response:
    return _save_merchant(request, principal, MerchantForm(merchant_id, name, mcc, timezone, city), merchant_id)


def _save_merchant(request: Request, principal: Principal, form: MerchantForm, existing: str | None) -> Response:
    principal.require(Permission.MANAGE_MERCHANTS)
    action = "merchant.edit" if existing else "merchant.add"
    try:
        saved = attempt(request, principal, action, "merchant", form.merchant_id, dict(asdict(form)),
                        lambda session: save_merchant(session, principal, form, existing=existing).merchant_id)
    except REFUSALS as error:
        return _merchant_form(request, principal, form, existing, field_errors(error, request_locale(request)),
                              status_code=error.status)
    done(request, action, saved)
    return RedirectResponse(f"/admin/merchants/{saved}", status_code=303)


@router.get("/admin/terminals/new", response_class=HTMLResponse)
def new_terminal_page(request: Request, principal: WebUser, merchant_id: str = "") -> HTMLResponse:
    principal.require(Permission.MANAGE_MERCHANTS)
    return _terminal_form(request, principal, TerminalForm(merchant_id=merchant_id[:15]), None, {})


@router.get("/admin/terminals/{terminal_id}", response_class=HTMLResponse)
def terminal_page(terminal_id: str, request: Request, principal: WebUser, session: SessionDep) -> HTMLResponse:
    principal.require(Permission.MANAGE_MERCHANTS)
    found = get_terminal(session, principal, terminal_id)
    maintained = found.last_maintenance_at.isoformat() if found.last_maintenance_at else ""
    form = TerminalForm(found.terminal_id, found.merchant_id, found.model, found.serial, found.firmware,
                        found.location, maintained)
    return _terminal_form(request, principal, form, found.terminal_id, {},
                          done=done_message(request, request_locale(request)))


def _terminal_form(request: Request, principal: Principal, form: TerminalForm, existing: str | None,
                   errors: dict[str, str], *, done: str = "", status_code: int = 200) -> HTMLResponse:
    with database(request).unit_of_work() as session:
        merchants = [(m.merchant_id, m.name) for m in list_merchants(session, principal)]
    return render(request, "admin/terminal.html", status_code=status_code, user=principal, form=form,
                  existing=existing, errors=errors, done=done, merchants=merchants)


@router.post("/admin/terminals", dependencies=[Depends(check_csrf)])
def add_terminal(request: Request, principal: WebActor, terminal_id: Field = "", merchant_id: Field = "",
                 model: Field = "", serial: Field = "", firmware: Field = "", location: Field = "",
                 last_maintenance_at: Field = "") -> Response:
    form = TerminalForm(terminal_id, merchant_id, model, serial, firmware, location, last_maintenance_at)
    return _save_terminal(request, principal, form, None)


@router.post("/admin/terminals/{terminal_id}", dependencies=[Depends(check_csrf)])
def edit_terminal(terminal_id: str, request: Request, principal: WebActor, merchant_id: Field = "",
                  model: Field = "", serial: Field = "", firmware: Field = "", location: Field = "",
                  last_maintenance_at: Field = "") -> Response:
    form = TerminalForm(terminal_id, merchant_id, model, serial, firmware, location, last_maintenance_at)
    return _save_terminal(request, principal, form, terminal_id)


def _save_terminal(request: Request, principal: Principal, form: TerminalForm, existing: str | None) -> Response:
    principal.require(Permission.MANAGE_MERCHANTS)
    action = "terminal.edit" if existing else "terminal.add"
    try:
        saved = attempt(request, principal, action, "terminal", form.terminal_id, dict(asdict(form)),
                        lambda session: save_terminal(session, principal, form, existing=existing).terminal_id)
    except REFUSALS as error:
        return _terminal_form(request, principal, form, existing, field_errors(error, request_locale(request)),
                              status_code=error.status)
    done(request, action, saved)
    return RedirectResponse(f"/admin/terminals/{saved}", status_code=303)
