"""Pages: reconcile the days an import brought, in the background, with its progress and what it found.

POST /reconciliation/jobs (the import result's button) starts the job and sends the browser to its
page, GET /reconciliation/jobs/{id}; static/reconcile_jobs.js asks .../progress for the fragment
until the job has ended. A refusal (nothing to reconcile, a run already under way) is said in the page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi import Path as Path_
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.errors import RecoupError
from recoup.reconciliation.jobs import ReconcileBoard, ReconcileJob, RunUnderWay
from recoup.reconciliation.jobs_scope import NothingToReconcile, days_to_reconcile
from recoup.reconciliation.web import OUTCOME_WORDS
from recoup.web.csrf import check_csrf
from recoup.web.deps import Now, WebUser, database, shared
from recoup.web.templating import render

router = APIRouter(include_in_schema=False)
JobId = Annotated[str, Path_(max_length=40)]
ImportId = Annotated[str, Form(max_length=20)]


def reconcile_board(request: Request) -> ReconcileBoard:
    """The app's board of background reconciliations (made on first use)."""
    return shared(request, "reconcile_board", ReconcileBoard)


@router.post("/reconciliation/jobs", dependencies=[Depends(check_csrf)])
def start_job(request: Request, principal: WebUser, now: Now, import_id: ImportId = "") -> Response:
    """Start reconciling the import's days; its page follows the job."""
    principal.require(Permission.RECONCILE)
    try:
        with database(request).unit_of_work() as session:
            days = days_to_reconcile(session, principal, import_id)
        job = reconcile_board(request).start(database(request), principal, days, now)
    except (NothingToReconcile, RunUnderWay) as refused:
        return _refused(request, principal, import_id, refused)
    return RedirectResponse(f"/reconciliation/jobs/{job.id}", status_code=303)


def _refused(request: Request, principal: Principal, import_id: str, refused: RecoupError) -> HTMLResponse:
    return render(request, "reconciliation/_job_page.html", status_code=refused.status, user=principal, job=None,
                  error=refused.message, import_id=import_id.strip()[:20], outcomes=OUTCOME_WORDS)


@router.get("/reconciliation/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, principal: WebUser, job_id: JobId) -> HTMLResponse:
    job = reconcile_board(request).get(job_id, principal)
    return render(request, "reconciliation/_job_page.html", user=principal, job=job, error=None,
                  import_id=str(job.days.batch_id), outcomes=OUTCOME_WORDS)


@router.get("/reconciliation/jobs/{job_id}/progress", response_class=HTMLResponse)
def job_progress(request: Request, principal: WebUser, job_id: JobId) -> HTMLResponse:
    """The job's fragment: its progress while it runs, what it found once done."""
    return _fragment(request, reconcile_board(request).get(job_id, principal))


def _fragment(request: Request, job: ReconcileJob) -> HTMLResponse:
    return render(request, "reconciliation/_job.html", job=job, outcomes=OUTCOME_WORDS)
