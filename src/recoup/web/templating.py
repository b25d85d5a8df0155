"""Jinja2 environment with translations, money formatting and the CSRF token."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from recoup.money import Money
from recoup.web.csrf import csrf_token
from recoup.web.i18n import LOCALE_NAMES, normalise_locale, translate

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def request_locale(request: Request) -> str:
    chosen = request.session.get("locale") if "session" in request.scope else None
    if isinstance(chosen, str):
        return normalise_locale(chosen)
    return normalise_locale(request.app.state.settings.locale)


def _unread_alerts(request: Request, user: object) -> Callable[[], int]:
    """The menu's alert badge: the logged-in user's unread alerts, one COUNT query, made only when the
    menu asks (recoup.messaging.alerts)."""

    def count() -> int:
        from recoup.auth.principal import Principal
        from recoup.messaging.alerts import unread_count

        if not isinstance(user, Principal):
            return 0
        with request.app.state.database.unit_of_work() as session:
            return unread_count(session, user)

    return count


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    locale = request_locale(request)

    def gettext(message: str, **values: object) -> str:
        text = translate(locale, message)
        return text.format(**values) if values else text

    def money(minor: int, currency: str = "CNY") -> str:
        return Money(minor, currency).format("zh_CN" if locale == "zh_CN" else "en_US")

    base = {
        "_": gettext,
        "money": money,
        "locale": locale,
        "locales": LOCALE_NAMES,
        "csrf_token": csrf_token(request) if "session" in request.scope else "",
        "unread_alerts": _unread_alerts(request, context.get("user")),
    }
    return templates.TemplateResponse(request, template, {**base, **context}, status_code=status_code)
