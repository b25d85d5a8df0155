"""Pages: a statement file uploaded, its detected profile and first mapped rows, then imported; a mapping
page that builds a profile for a file no profile fits (proposed, corrected, previewed, saved for the tenant).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi import Path as Path_
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.errors import InvalidInput
from recoup.ingest import pending
from recoup.ingest.mapping_form import MappingForm, mapping_context, read_mapping_form
from recoup.ingest.mapping_words import problem_words
from recoup.ingest.profile import Profile
from recoup.ingest.service import choose_profile, get_profile, import_with_profile, save_profile
from recoup.ingest.translate import TranslationRejected, translate
from recoup.ingest.values import minor_units
from recoup.transactions.importer import ImportOptions, ImportRejected
from recoup.transactions.upload_options import KindForm, SkipBadRowsForm, upload_file, upload_name
from recoup.web.csrf import check_csrf
from recoup.web.deps import SessionDep, SettingsDep, WebUser
from recoup.web.templating import render, request_locale
from recoup.web.upload_form import UploadRoute

router = APIRouter(include_in_schema=False, route_class=UploadRoute)
Token = Annotated[str, Path_(max_length=64)]  # checked by pending.find, after the permission
ProfileForm = Annotated[str | None, Form(max_length=40)]
STATEMENT_KINDS = ("settlement", "journal", "orders")


def _minor_of(text: str) -> int:
    return minor_units(text, "yuan")


def _currency_of(row: dict[str, str]) -> str:
    code = row.get("currency", "")
    return code if code.isalpha() and len(code) == 3 else "CNY"


def _page(request: Request, template: str, status_code: int = 200, **context: object) -> HTMLResponse:
    return render(request, template, status_code, minor_of=_minor_of, currency_of=_currency_of, **context)


def _preview(request: Request, principal: Principal, held: pending.Pending,
             profile: Profile, note: str) -> HTMLResponse:
    try:
        translation = translate(held.path, profile, None, file_name=held.file_name, preview_only=True,
                                skip_bad=True)
    except InvalidInput as problem:
        return _page(request, "ingest/preview.html", status_code=422, user=principal, held=held, profile=profile,
                      note=note, rows=[], columns=[], rejects=[], error=problem.message)
    return _page(request, "ingest/preview.html", status_code=422 if translation.rejects else 200, user=principal,
                  held=held, profile=profile, note=note, rows=translation.preview, columns=translation.targets,
                  rejects=translation.rejects, error=None, lines=list(translation.line_map))


@router.post("/imports/statement", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def upload_statement(request: Request, principal: WebUser, session: SessionDep, settings: SettingsDep,
                     kind: KindForm, file: UploadFile, profile: ProfileForm = None) -> Response:
    """Keep the uploaded statement; show the profile that reads it and its first mapped rows."""
    principal.require(Permission.IMPORT)
    kind = kind.strip().lower()
    if kind not in STATEMENT_KINDS:
        raise InvalidInput(f"a statement file is one of {', '.join(STATEMENT_KINDS)}, not {kind}")
    with upload_file(file) as path:
        held = pending.keep(settings.var_dir, principal, path, upload_name(file), kind)
    try:
        choice = choose_profile(session, principal, held.path, kind, profile or None, held.file_name)
    except InvalidInput as problem:
        if "no profile fits" not in problem.message:
            raise
        return RedirectResponse(f"/imports/statement/{held.token}/mapping", status_code=303)
    if choice.profile is None:
        return _page(request, "ingest/preview.html", user=principal, held=held, profile=None, note=choice.note,
                      rows=[], columns=[], rejects=[], error=None)
    return _preview(request, principal, held, choice.profile, choice.note)


@router.post("/imports/statement/{token}/import", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def import_statement(token: Token, request: Request, principal: WebUser, session: SessionDep,
                     settings: SettingsDep, profile: ProfileForm = None,
                     skip_bad_rows: SkipBadRowsForm = False) -> HTMLResponse:
    """Import the kept statement through the profile the preview showed (or natively), all or the good rows."""
    principal.require(Permission.IMPORT)
    held = pending.find(settings.var_dir, principal, token)
    options = ImportOptions(skip_bad_rows=skip_bad_rows, file_name=held.file_name)
    try:
        if profile:
            report, _ = import_with_profile(session, principal, held.kind, held.path, settings, options,
                                            get_profile(session, principal, profile))
        else:
            from recoup.transactions.importer import import_file

            report = import_file(session, principal, held.kind, held.path, settings, options)
    except (ImportRejected, TranslationRejected) as rejected:
        count = rejected.rejected_rows if isinstance(rejected, ImportRejected) else rejected.count
        return render(request, "transactions/import_result.html", status_code=422, user=principal, report=None,
                      file_name=held.file_name, kind=held.kind, rejects=rejected.rejects, rejected_rows=count)
    pending.discard(settings.var_dir, token)
    return render(request, "transactions/import_result.html", user=principal, report=report,
                  file_name=held.file_name, kind=held.kind, rejects=report.rejects, rejected_rows=report.rejected_rows)


@router.get("/imports/statement/{token}/mapping", response_class=HTMLResponse)
def mapping_page(token: Token, request: Request, principal: WebUser, settings: SettingsDep) -> HTMLResponse:
    """The file's columns with sample values and a proposed mapping, to correct and save."""
    principal.require(Permission.IMPORT)
    held = pending.find(settings.var_dir, principal, token)
    context = mapping_context(held, None)
    return _page(request, "ingest/mapping.html", 200, user=principal, held=held, **context)


@router.post("/imports/statement/{token}/mapping", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
async def mapping_submit(token: Token, request: Request, principal: WebUser, session: SessionDep,
                         settings: SettingsDep) -> HTMLResponse:
    """Preview the corrected mapping; with action=save, save it as the tenant's profile and show the import."""
    principal.require(Permission.IMPORT)
    held = pending.find(settings.var_dir, principal, token)
    form: MappingForm = read_mapping_form(await request.form())
    context = mapping_context(held, form)
    profile = context.get("profile")
    if form.action == "save" and isinstance(profile, Profile) and not context.get("problem"):
        saved = save_profile(session, principal, profile.source, f"profile {profile.name}")
        note = f"{held.file_name}: profile {saved.name} saved for your tenant"
        return _preview(request, principal, held, saved, note)
    status = 422 if context.get("problem") or context.get("rejects") else 200
    if isinstance(context.get("problem"), str):  # in the page's language, fields named by their words
        context["problem"] = problem_words(request_locale(request), str(context["problem"]))
    return _page(request, "ingest/mapping.html", status, user=principal, held=held, **context)
