"""Login, logout, changing one's password and the language switch."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from recoup.auth.login import LoginAttempt, LoginRefused, TooManyAttempts, authenticate
from recoup.auth.service import MIN_PASSWORD, change_password
from recoup.auth.sessions import Client, end_session, session_policy, start_session
from recoup.auth.throttle import policy_of
from recoup.config import Settings
from recoup.errors import InvalidInput
from recoup.web.csrf import check_csrf
from recoup.web.deps import SESSION_ID, AddressDep, Now, SessionDep, SettingsDep, WebUser
from recoup.web.i18n import normalise_locale
from recoup.web.params import LanguageTag, LocalPath
from recoup.web.templating import render

router = APIRouter(include_in_schema=False)
PasswordField = Annotated[str, Form(max_length=200)]

# What the pages say (English msgids of the UI catalogues).
WRONG_LOGIN = "Wrong username or password"
LOCKED_OUT = ("Too many failed logins for this account or from this address. Try again in {minutes} minutes, "
              "or ask an administrator to unlock the account.")
WRONG_CURRENT = "The current password is wrong"
NOT_THE_SAME = "The two new passwords are not the same"
TOO_SHORT = "The new password must have at least {count} characters"
CHANGED = "Your password has been changed; your other sessions and login tokens have ended."


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/"


def _refused(request: Request, refused: LoginRefused, template: str, **context: object) -> HTMLResponse:
    """The page again, saying why (401), or that logins are locked for a while (429 with Retry-After)."""
    if isinstance(refused, TooManyAttempts):
        page = render(request, template, status_code=429, error=LOCKED_OUT,
                      error_values={"minutes": refused.minutes}, **context)
        page.headers["Retry-After"] = str(refused.retry_after)
        return page
    error = WRONG_CURRENT if template != "login.html" else WRONG_LOGIN
    return render(request, template, status_code=401, error=error, error_values={}, **context)


def _begin(request: Request, session: Session, settings: Settings, now: datetime, user_id: int,
           client: Client) -> None:
    """A new server-side session in a fresh cookie (the old id, if any, ended: no session fixation); the
    language chosen before stays."""
    locale = request.session.get("locale")
    old = request.session.get(SESSION_ID)
    if isinstance(old, str):
        end_session(session, old, now)
    session_id = start_session(session, user_id, now, session_policy(settings), client)
    request.session.clear()
    request.session[SESSION_ID] = session_id
    if isinstance(locale, str):
        request.session["locale"] = locale


def _client(request: Request, address: str) -> Client:
    return Client(address, request.headers.get("user-agent", ""))


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: LocalPath = "/") -> HTMLResponse:
    return render(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(
    request: Request, session: SessionDep, settings: SettingsDep, now: Now, address: AddressDep,
    username: Annotated[str, Form(max_length=80)], password: PasswordField,
    next: Annotated[LocalPath, Form()] = "/",
) -> Response:
    try:
        principal = authenticate(session, LoginAttempt(username, password, "web", address), policy_of(settings), now)
    except LoginRefused as refused:
        return _refused(request, refused, "login.html", next=_safe_next(next))
    if not isinstance(request.session.get("locale"), str):
        request.session["locale"] = principal.locale
    _begin(request, session, settings, now, principal.user_id, _client(request, address))
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request, session: SessionDep, now: Now) -> Response:
    session_id = request.session.get(SESSION_ID)
    if isinstance(session_id, str):
        end_session(session, session_id, now)
    locale = request.session.get("locale")
    request.session.clear()
    if isinstance(locale, str):
        request.session["locale"] = locale  # the language chosen outlives the login
    return RedirectResponse("/login", status_code=303)


@router.get("/account/password", response_class=HTMLResponse)
def password_page(request: Request, principal: WebUser) -> HTMLResponse:
    return render(request, "account_password.html", user=principal, error=None, done=False)


@router.post("/account/password", dependencies=[Depends(check_csrf)])
def password_change(
    request: Request, principal: WebUser, session: SessionDep, settings: SettingsDep, now: Now, address: AddressDep,
    current_password: PasswordField, new_password: PasswordField, repeat_password: PasswordField,
) -> Response:
    """Change one's own password: the current one is checked like a login (throttled, audited); every
    other session and login token of the user ends, this browser gets a new session."""
    try:
        authenticate(session, LoginAttempt(principal.username, current_password, "web", address),
                     policy_of(settings), now)
    except LoginRefused as refused:
        return _refused(request, refused, "account_password.html", user=principal, done=False)
    problem = _new_password_problem(new_password, repeat_password)
    if problem is not None:
        return render(request, "account_password.html", status_code=422, user=principal, done=False, **problem)
    try:
        change_password(session, principal.actor(), principal.username, new_password, now)
    except InvalidInput as refused:
        return render(request, "account_password.html", status_code=422, user=principal, done=False,
                      error=refused.message, error_values={})
    _begin(request, session, settings, now, principal.user_id, _client(request, address))
    return render(request, "account_password.html", user=principal, error=None, done=True, message=CHANGED)


def _new_password_problem(new_password: str, repeat_password: str) -> dict[str, object] | None:
    if new_password != repeat_password:
        return {"error": NOT_THE_SAME, "error_values": {}}
    if len(new_password) < MIN_PASSWORD:
        return {"error": TOO_SHORT, "error_values": {"count": MIN_PASSWORD}}
    return None


@router.post("/lang", dependencies=[Depends(check_csrf)])
def switch_language(request: Request, locale: Annotated[LanguageTag, Form()],
                    next: Annotated[LocalPath, Form()] = "/") -> Response:
    request.session["locale"] = normalise_locale(locale)
    return RedirectResponse(_safe_next(next), status_code=303)
