"""Admin pages for users: the list, adding one (role, merchants), disabling, enabling, a new password."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from recoup.admin.forms import REFUSALS, WebActor, attempt, done, done_message, field_errors
from recoup.admin.users import UserForm, create_user, reset_password, set_active, tenant_user, tenant_users
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission, Role
from recoup.db import utcnow
from recoup.merchants.repository import list_merchants
from recoup.web.csrf import check_csrf
from recoup.web.deps import SessionDep, WebUser, database
from recoup.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)
Short = Annotated[str, Form(max_length=200)]
Secret = Annotated[str, Form(max_length=400)]


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, principal: WebUser, session: SessionDep) -> HTMLResponse:
    rows = tenant_users(session, principal)
    return render(request, "admin/users.html", user=principal, rows=rows,
                  done=done_message(request, request_locale(request)))


@router.get("/admin/users/new", response_class=HTMLResponse)
def new_user_page(request: Request, principal: WebUser) -> HTMLResponse:
    principal.require(Permission.MANAGE_USERS)
    return _user_form(request, principal, UserForm(), {})


def _user_form(request: Request, principal: Principal, form: UserForm, errors: dict[str, str],
               status_code: int = 200) -> HTMLResponse:
    with database(request).unit_of_work() as session:
        merchants = [(m.merchant_id, m.name) for m in list_merchants(session, principal)]
    return render(request, "admin/user_new.html", status_code=status_code, user=principal, form=form, errors=errors,
                  roles=[role.value for role in Role], merchants=merchants)


@router.post("/admin/users", dependencies=[Depends(check_csrf)])
def add_user_page(request: Request, principal: WebActor, username: Annotated[str, Form(max_length=200)] = "",
                  role: Short = "", password: Secret = "", display_name: Short = "", email: Short = "",
                  locale: Short = "zh_CN", merchant_ids: Annotated[list[str] | None, Form()] = None) -> Response:
    principal.require(Permission.MANAGE_USERS)
    form = UserForm(username, role, password, display_name, email, locale, [m[:15] for m in merchant_ids or []][:200])
    try:
        attempt(request, principal, "user.add", "user", username, {"username": username, "role": role},
                lambda session: create_user(session, principal, form))
    except REFUSALS as error:
        form.password = ""  # never sent back
        return _user_form(request, principal, form, field_errors(error, request_locale(request)), error.status)
    done(request, "user.add", form.username.strip())
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/users/{username}", response_class=HTMLResponse)
def user_page(username: str, request: Request, principal: WebUser, session: SessionDep) -> HTMLResponse:
    return _user_detail(request, principal, username, {}, done=done_message(request, request_locale(request)),
                        session=session)


def _user_detail(request: Request, principal: Principal, username: str, errors: dict[str, str], *,
                 done: str = "", status_code: int = 200, session: Session | None = None) -> HTMLResponse:
    def page(found_session: Session) -> HTMLResponse:
        shown = tenant_user(found_session, principal, username)
        merchants = next(m for u, m in tenant_users(found_session, principal) if u.id == shown.id)
        return render(request, "admin/user.html", status_code=status_code, user=principal, shown=shown,
                      merchants=merchants, errors=errors, done=done, me=shown.id == principal.user_id)

    if session is not None:
        return page(session)
    with database(request).unit_of_work() as own:
        return page(own)


def _change(request: Request, principal: Principal, username: str, action: str,
            work: Callable[[Session], object]) -> Response:
    try:
        attempt(request, principal, action, "user", username, {"username": username}, work)
    except REFUSALS as error:
        return _user_detail(request, principal, username, field_errors(error, request_locale(request)),
                            status_code=error.status)
    done(request, action, username)
    return RedirectResponse(f"/admin/users/{username}", status_code=303)


@router.post("/admin/users/{username}/disable", dependencies=[Depends(check_csrf)])
def disable_page(username: str, request: Request, principal: WebActor) -> Response:
    principal.require(Permission.MANAGE_USERS)
    return _change(request, principal, username, "user.disable",
                   lambda session: set_active(session, principal, username, False, utcnow()))


@router.post("/admin/users/{username}/enable", dependencies=[Depends(check_csrf)])
def enable_page(username: str, request: Request, principal: WebActor) -> Response:
    principal.require(Permission.MANAGE_USERS)
    return _change(request, principal, username, "user.enable",
                   lambda session: set_active(session, principal, username, True, utcnow()))


@router.post("/admin/users/{username}/password", dependencies=[Depends(check_csrf)])
def password_page(username: str, request: Request, principal: WebActor, password: Secret = "") -> Response:
    principal.require(Permission.MANAGE_USERS)
    return _change(request, principal, username, "user.password",
                   lambda session: reset_password(session, principal, username, password, utcnow()))

