"""Login, logout and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from recoup.auth.service import authenticate
from recoup.errors import Unauthorized
from recoup.web.csrf import check_csrf
from recoup.web.deps import SessionDep
from recoup.web.i18n import normalise_locale
from recoup.web.templating import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(
    request: Request, session: SessionDep,
    username: Annotated[str, Form(max_length=80)], password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        principal = authenticate(session, username, password, "web")
    except Unauthorized:
        return render(request, "login.html", status_code=401, next=_safe_next(next), error="Wrong username or password")
    locale = request.session.get("locale")
    request.session.clear()
    request.session["user_id"] = principal.user_id
    request.session["locale"] = locale if isinstance(locale, str) else principal.locale
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> Response:
    locale = request.session.get("locale")
    request.session.clear()
    if isinstance(locale, str):
        request.session["locale"] = locale  # the language chosen outlives the login
    return RedirectResponse("/login", status_code=303)


@router.post("/lang", dependencies=[Depends(check_csrf)])
def switch_language(request: Request, locale: Annotated[str, Form()], next: Annotated[str, Form()] = "/") -> Response:
    request.session["locale"] = normalise_locale(locale)
    return RedirectResponse(_safe_next(next), status_code=303)
