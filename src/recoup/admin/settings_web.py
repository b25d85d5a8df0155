"""Admin pages for the tenant's settings: ladder deadlines, the collection QR account, webhooks."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from recoup.admin import settings as ladder_form
from recoup.admin.forms import REFUSALS, WebActor, attempt, done, done_message, field_errors
from recoup.admin.settings import ladder_values, save_ladder, save_qr_account
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.db import utcnow
from recoup.recovery.qr_account import QrAccountTemplate, reset_template, template_view
from recoup.web.csrf import check_csrf
from recoup.web.deps import SessionDep, SettingsDep, WebUser, database
from recoup.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)
MAX_FIELD = 40


@router.get("/admin/ladder", response_class=HTMLResponse)
def ladder_page(request: Request, principal: WebUser, session: SessionDep) -> HTMLResponse:
    principal.require(Permission.MANAGE_MERCHANTS)
    return _ladder(request, principal, ladder_values(session, principal), {},
                   done=done_message(request, request_locale(request)))


def _ladder(request: Request, principal: Principal, values: dict[str, str], errors: dict[str, str], *,
            done: str = "", status_code: int = 200) -> HTMLResponse:
    return render(request, "admin/ladder.html", status_code=status_code, user=principal, values=values,
                  errors=errors, done=done, rungs=ladder_form.DAY_RUNGS, stages=ladder_form.DAY_STAGES,
                  overdue_rungs=ladder_form.OVERDUE_RUNGS, actions=ladder_form.ACTIONS)


@router.post("/admin/ladder", dependencies=[Depends(check_csrf)])
async def save_ladder_page(request: Request, principal: WebActor) -> Response:
    principal.require(Permission.MANAGE_MERCHANTS)
    posted = await request.form()
    typed = {key: str(value)[:MAX_FIELD] for key, value in posted.items() if isinstance(value, str)}
    typed.pop("csrf_token", None)
    try:
        attempt(request, principal, "ladder.set", "tenant", str(principal.tenant_id), dict(typed),
                lambda session: save_ladder(session, principal, typed, utcnow()))
    except REFUSALS as error:
        return _ladder(request, principal, typed, field_errors(error, request_locale(request)),
                       status_code=error.status)
    done(request, "ladder.set")
    return RedirectResponse("/admin/ladder", status_code=303)


@router.get("/admin/qr-account", response_class=HTMLResponse)
def qr_page(request: Request, principal: WebUser, session: SessionDep, config: SettingsDep) -> HTMLResponse:
    principal.require(Permission.MANAGE_MERCHANTS)
    view = template_view(session, principal.tenant_id, QrAccountTemplate.from_settings(config))
    return _qr(request, principal, view, {"tag": str(view["tag"]), "gui": str(view["gui"])}, {},
               done=done_message(request, request_locale(request)))


def _qr(request: Request, principal: Principal, view: dict[str, object], values: dict[str, str],
        errors: dict[str, str], *, done: str = "", status_code: int = 200) -> HTMLResponse:
    return render(request, "admin/qr_account.html", status_code=status_code, user=principal, view=view,
                  values=values, errors=errors, done=done)


@router.post("/admin/qr-account", dependencies=[Depends(check_csrf)])
async def save_qr_page(request: Request, principal: WebActor, config: SettingsDep) -> Response:
    principal.require(Permission.MANAGE_MERCHANTS)
    posted = await request.form()
    tag, gui = str(posted.get("tag") or "")[:MAX_FIELD], str(posted.get("gui") or "")[:MAX_FIELD]
    default = QrAccountTemplate.from_settings(config)
    try:
        attempt(request, principal, "qr_account.set", "tenant", str(principal.tenant_id), {"tag": tag, "gui": gui},
                lambda session: save_qr_account(session, principal, tag, gui, default, utcnow()))
    except REFUSALS as error:
        with database(request).unit_of_work() as session:
            view = template_view(session, principal.tenant_id, default)
        return _qr(request, principal, view, {"tag": tag, "gui": gui}, field_errors(error, request_locale(request)),
                   status_code=error.status)
    done(request, "qr_account.set")
    return RedirectResponse("/admin/qr-account", status_code=303)


@router.post("/admin/qr-account/reset", dependencies=[Depends(check_csrf)])
def reset_qr_page(request: Request, principal: WebActor, config: SettingsDep) -> Response:
    principal.require(Permission.MANAGE_MERCHANTS)
    default = QrAccountTemplate.from_settings(config)
    attempt(request, principal, "qr_account.reset", "tenant", str(principal.tenant_id), {},
            lambda session: reset_template(session, principal, default, utcnow()))
    done(request, "qr_account.reset")
    return RedirectResponse("/admin/qr-account", status_code=303)
