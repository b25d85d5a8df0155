"""The message templates admin page (/message-templates): read by everyone, edited by the admin."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from recoup.auth.principal import Principal
from recoup.auth.roles import may
from recoup.cases.web import WebActor
from recoup.errors import RecoupError
from recoup.messaging.templates import MANAGE, list_templates, save_template
from recoup.messaging.web_router import router
from recoup.messaging.words import refusal_words
from recoup.web.csrf import check_csrf
from recoup.web.deps import Now, SessionDep, WebUser, database
from recoup.web.templating import render, request_locale


def _page(request: Request, principal: Principal, rows: list[dict[str, object]], status: int = 200,
          error: str = "", edited: dict[str, str] | None = None) -> HTMLResponse:
    return render(request, "messaging/templates.html", status_code=status, user=principal, rows=rows,
                  can_edit=may(principal.role, MANAGE), error=error, edited=edited or {})


@router.get("/message-templates", response_class=HTMLResponse)
def templates_page(request: Request, principal: WebUser, session: SessionDep) -> HTMLResponse:
    return _page(request, principal, list_templates(session, principal))


@router.post("/message-templates", dependencies=[Depends(check_csrf)])
def save_page(request: Request, principal: WebActor, now: Now, key: Annotated[str, Form(max_length=40)] = "",
              locale: Annotated[str, Form(max_length=10)] = "", subject: Annotated[str, Form(max_length=400)] = "",
              body: Annotated[str, Form(max_length=16000)] = "") -> Response:
    """Save one template; a refused one (an unknown placeholder, named) comes back with the text as typed."""
    try:
        with database(request).unit_of_work() as session:
            save_template(session, principal, key, locale, subject, body, now)
    except RecoupError as error:
        with database(request).unit_of_work() as session:
            rows = list_templates(session, principal)
        edited = {"key": key, "locale": locale, "subject": subject, "body": body}
        return _page(request, principal, rows, error.status, refusal_words(request_locale(request), error), edited)
    return RedirectResponse(f"/message-templates#{key}-{locale}", status_code=303)
