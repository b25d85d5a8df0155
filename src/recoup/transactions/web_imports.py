"""Pages: upload an import (at once or in the background with its progress) and see its result."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi import Path as Path_
from fastapi.responses import HTMLResponse

from recoup.auth.principal import Principal
from recoup.auth.roles import Permission, may
from recoup.transactions.import_jobs import ImportBoard, ImportJob
from recoup.transactions.importer import KINDS, TRANSACTION_KINDS, ImportRejected, import_file
from recoup.transactions.repository import recent_imports
from recoup.transactions.upload_options import (
    KindForm,
    SkipBadRowsForm,
    YearForm,
    claim_upload,
    upload_file,
    upload_options,
)
from recoup.web.csrf import check_csrf
from recoup.web.deps import SessionDep, SettingsDep, WebUser, database, shared
from recoup.web.templating import render
from recoup.web.upload_form import UploadRoute

router = APIRouter(include_in_schema=False, route_class=UploadRoute)  # uploads stream into private files
RECONCILABLE_KINDS = (*TRANSACTION_KINDS, "iso8583")  # imports that bring days a run can reconcile


def _reconcile_context(principal: Principal | None) -> dict[str, Any]:
    """What the import outcome needs for its "Reconcile the imported days" button."""
    allowed = principal is not None and may(principal.role, Permission.RECONCILE)
    may_import = principal is not None and may(principal.role, Permission.IMPORT)  # no forms for the auditor
    return {"may_reconcile": allowed, "may_import": may_import, "reconcilable_kinds": RECONCILABLE_KINDS}


@router.get("/imports", response_class=HTMLResponse)
def imports_page(request: Request, principal: WebUser, session: SessionDep) -> HTMLResponse:
    from recoup.ingest.service import all_profiles
    from recoup.reconciliation.jobs_imports import findings_of_imports

    batches = recent_imports(session, principal)
    return render(request, "transactions/imports.html", user=principal, kinds=KINDS, batches=batches,
                  found=findings_of_imports(session, principal, batches), **_reconcile_context(principal),
                  profiles=list(all_profiles(session, principal).values()))


@router.post("/imports", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def upload(request: Request, principal: WebUser, session: SessionDep, settings: SettingsDep,
           kind: KindForm, file: UploadFile, skip_bad_rows: SkipBadRowsForm = False, year: YearForm = None,
           ) -> HTMLResponse:
    options = upload_options(file, skip_bad_rows, year)
    name = options.file_name
    try:
        with upload_file(file) as path:
            report = import_file(session, principal, kind, path, settings, options)
    except ImportRejected as rejected:
        return render(request, "transactions/import_result.html", status_code=422, user=principal, report=None,
                      file_name=name, kind=kind, rejects=rejected.rejects, rejected_rows=rejected.rejected_rows)
    return render(request, "transactions/import_result.html", user=principal, report=report, file_name=name,
                  kind=kind, rejects=report.rejects, rejected_rows=report.rejected_rows,
                  **_reconcile_context(principal))


def import_board(request: Request) -> ImportBoard:
    """The app's board of background imports (made on first use)."""
    return shared(request, "import_board", ImportBoard)


def _job_fragment(request: Request, job: ImportJob, principal: Principal) -> HTMLResponse:
    return render(request, "transactions/_import_job.html", job=job, report=job.report, file_name=job.file_name,
                  kind=job.kind, rejects=job.rejects, rejected_rows=job.rejected_rows,
                  **_reconcile_context(principal))


@router.post("/imports/jobs", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def start_upload(request: Request, principal: WebUser, settings: SettingsDep,
                 kind: KindForm, file: UploadFile, skip_bad_rows: SkipBadRowsForm = False, year: YearForm = None,
                 ) -> HTMLResponse:
    """The page's upload: the import runs in the background and this answers at once with its progress."""
    principal.require(Permission.IMPORT)  # before a job starts: a refusal must not look like an import under way
    options = upload_options(file, skip_bad_rows, year)
    upload = claim_upload(file)
    job = import_board(request).start(database(request), principal, kind.strip().lower(), upload, settings, options)
    return _job_fragment(request, job, principal)


@router.get("/imports/jobs/{job_id}", response_class=HTMLResponse)
def upload_progress(job_id: Annotated[str, Path_(max_length=40)], request: Request, principal: WebUser,
                    ) -> HTMLResponse:
    return _job_fragment(request, import_board(request).get(job_id, principal), principal)
