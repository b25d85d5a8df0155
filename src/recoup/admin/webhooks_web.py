"""Admin pages for webhooks: the tenant's endpoints, adding one (its signing secret shown this once),
disabling one."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from recoup.admin.forms import REFUSALS, Problems, WebActor, attempt, done, done_message, field_errors
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.errors import NotFound
from recoup.keys.ring import KeyRing
from recoup.web.csrf import check_csrf
from recoup.web.deps import SettingsDep, WebUser, database
from recoup.web.templating import render, request_locale
from recoup.webhooks.service import MAX_URL, add_endpoint, disable_endpoint, list_endpoints

router = APIRouter(include_in_schema=False)


@router.get("/admin/webhooks", response_class=HTMLResponse)
def webhooks_page(request: Request, principal: WebUser) -> HTMLResponse:
    return _page(request, principal, done=done_message(request, request_locale(request)))


def _page(request: Request, principal: Principal, *, url: str = "", errors: dict[str, str] | None = None,
          secret: str = "", added: int | None = None, done: str = "",
          status_code: int = 200) -> HTMLResponse:
    principal.require(Permission.MANAGE_MERCHANTS)
    with database(request).unit_of_work() as session:
        endpoints = list_endpoints(session, principal)
    return render(request, "admin/webhooks.html", status_code=status_code, user=principal, endpoints=endpoints,
                  url=url, errors=errors or {}, secret=secret, added=added, done=done)


def _add(session: Session, principal: Principal, url: str, keys: KeyRing) -> tuple[int, str]:
    principal.require(Permission.MANAGE_MERCHANTS)
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url.strip()) > MAX_URL:
        problems = Problems()
        problems.add("url", "an address such as https://example.com/recoup-events (at most {count} characters)",
                     count=MAX_URL)
        problems.check()
    endpoint, secret = add_endpoint(session, principal, url.strip(), keys=keys)
    return endpoint.id, secret


@router.post("/admin/webhooks", dependencies=[Depends(check_csrf)])
def add_page(request: Request, principal: WebActor, config: SettingsDep,
             url: Annotated[str, Form(max_length=1000)] = "") -> Response:
    principal.require(Permission.MANAGE_MERCHANTS)
    try:
        endpoint_id, secret = attempt(request, principal, "webhook.add", "webhook_endpoint", url, {"url": url},
                                      lambda session: _add(session, principal, url, config.keyring()))
    except REFUSALS as error:
        return _page(request, principal, url=url, errors=field_errors(error, request_locale(request)),
                     status_code=error.status)
    # Shown on this answer only: the secret is stored sealed and never shown again.
    return _page(request, principal, secret=secret, added=endpoint_id)


@router.post("/admin/webhooks/{endpoint_id}/disable", dependencies=[Depends(check_csrf)])
def disable_page(endpoint_id: str, request: Request, principal: WebActor) -> Response:
    principal.require(Permission.MANAGE_MERCHANTS)
    if not endpoint_id.isascii() or not endpoint_id.isdigit() or len(endpoint_id) > 18:
        raise NotFound(f"no webhook endpoint {endpoint_id[:40]}")
    attempt(request, principal, "webhook.disable", "webhook_endpoint", endpoint_id, {},
            lambda session: disable_endpoint(session, principal, int(endpoint_id)).id)
    done(request, "webhook.disable", endpoint_id)
    return RedirectResponse("/admin/webhooks", status_code=303)
