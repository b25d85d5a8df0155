"""Reconciliations of an import's days, run in the background for the import page, with their progress.

A job is one `reconcile_import_days` call in a thread of its own, with its own unit of work: the run
saves whole or not at all, like `recoup reconcile --db --save`. The board is in memory (the embedded
server is one process, like the import board of transactions/import_jobs.py); a job is visible only
to the user who started it, one job runs at a time per tenant, and a job is forgotten an hour after
it ends.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.db import Database
from recoup.errors import Conflict, NotFound, RecoupError
from recoup.reconciliation.jobs_run import CHECKING, READING, JobOutcome, reconcile_import_days, steps_in_run
from recoup.reconciliation.jobs_scope import ImportDays

log = logging.getLogger(__name__)
KEEP_FINISHED_SECONDS = 3600
RUNNING, DONE, FAILED = "running", "done", "failed"
RUN_UNDER_WAY = "A reconciliation is already under way for your organisation: wait for it to end, then try again."
FAILED_UNEXPECTEDLY = "The reconciliation failed unexpectedly; nothing was saved."


class RunUnderWay(Conflict):
    """Another reconciliation job of the same tenant has not ended."""


@dataclass
class ReconcileJob:
    id: str
    user_id: int
    tenant_id: int
    days: ImportDays
    state: str = RUNNING
    phase: str = READING
    step: str = ""  # the engine's current step, while checking
    done: int = 0
    total: int = 0
    outcome: JobOutcome | None = None
    error: str = ""
    ended_at: float | None = None

    @property
    def percent(self) -> int:
        return min(100, self.done * 100 // self.total) if self.total else 0

    def tell(self, phase: str, step: str) -> None:
        """The run's listener: one call per phase and per engine step."""
        self.phase, self.step = phase, step if phase == CHECKING else ""
        self.done = min(self.done + 1, max(self.total - 1, 0))


class ReconcileBoard:
    def __init__(self) -> None:
        self._jobs: dict[str, ReconcileJob] = {}
        self._lock = threading.Lock()

    def start(self, database: Database, principal: Principal, days: ImportDays, now: datetime) -> ReconcileJob:
        """Reconcile `days` in the background; the same user asking again for the same import while it runs
        gets the job under way (a double click starts one run)."""
        principal.require(Permission.RECONCILE)
        with self._lock:
            self._forget_old()
            running = [j for j in self._jobs.values() if j.tenant_id == principal.tenant_id and j.state == RUNNING]
            for job in running:
                if job.user_id == principal.user_id and job.days.batch_id == days.batch_id:
                    return job
            if running:
                raise RunUnderWay(RUN_UNDER_WAY)
            job = self._track(ReconcileJob(secrets.token_urlsafe(12), principal.user_id, principal.tenant_id, days,
                                           total=steps_in_run()))
        worker = threading.Thread(target=_run, args=(job, database, principal, now),
                                  name=f"reconcile-{job.id}", daemon=True)
        worker.start()
        return job

    def track(self, job: ReconcileJob) -> ReconcileJob:
        """Put a job on the board (one made elsewhere: tests, a job under way in another form)."""
        with self._lock:
            return self._track(job)

    def _track(self, job: ReconcileJob) -> ReconcileJob:
        self._forget_old()
        self._jobs[job.id] = job
        return job

    def get(self, job_id: str, principal: Principal) -> ReconcileJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.user_id != principal.user_id:
            raise NotFound("no such reconciliation")
        return job

    def _forget_old(self) -> None:
        now = time.monotonic()
        for job_id in [j.id for j in self._jobs.values() if j.ended_at and now - j.ended_at > KEEP_FINISHED_SECONDS]:
            del self._jobs[job_id]


def _run(job: ReconcileJob, database: Database, principal: Principal, now: datetime) -> None:
    try:
        with database.unit_of_work() as session:
            job.outcome = reconcile_import_days(session, principal, job.days, now, job.tell)
        job.done, job.state = job.total, DONE
    except RecoupError as error:
        log.warning("reconciliation %s refused: %s", job.id, error.message)
        job.error, job.state = error.message, FAILED
    except Exception:  # a background thread has nobody above it: say so on the page and in the log
        log.exception("reconciliation %s failed", job.id)
        job.error, job.state = FAILED_UNEXPECTEDLY, FAILED
    finally:
        job.ended_at = time.monotonic()
