"""CSRF protection for forms: a per-session token, required on every state-changing form post."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from recoup.errors import RecoupError


class CsrfError(RecoupError):
    status = 403


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> None:
    """FastAPI dependency for web form posts."""
    form = await request.form()
    sent = form.get("csrf_token") or request.headers.get("x-csrf-token") or ""
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
        raise CsrfError("the form has expired or did not come from this site (CSRF check failed); reload the page")
