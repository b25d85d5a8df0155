"""Imports run in the background for the upload page, so that it can show their progress.

A job is one `import_file` call in a thread of its own, with its own unit of work: it commits whole
or rolls back whole, exactly like the CLI. The board is in memory (the embedded server is one
process); a job is visible only to the user who started it and is forgotten an hour after it ends.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass, field

from recoup.auth.principal import Principal
from recoup.config import Settings
from recoup.db import Database
from recoup.errors import NotFound, RecoupError
from recoup.transactions.importer import ImportOptions, ImportRejected, ImportReport, import_file
from recoup.transactions.rejects import Reject
from recoup.web.uploads import PrivateFile

log = logging.getLogger(__name__)
KEEP_FINISHED_SECONDS = 3600
RUNNING, DONE, REJECTED, FAILED = "running", "done", "rejected", "failed"


@dataclass
class ImportJob:
    id: str
    user_id: int
    kind: str
    file_name: str
    state: str = RUNNING
    phase: str = "reading"
    done: int = 0
    total: int | None = None
    report: ImportReport | None = None
    rejects: list[Reject] = field(default_factory=list)
    rejected_rows: int = 0
    error: str = ""
    ended_at: float | None = None

    @property
    def percent(self) -> int | None:
        """How far the storing phase is, when its size is known."""
        if not self.total:
            return None
        return min(100, self.done * 100 // self.total)

    def tell(self, phase: str, done: int, total: int | None) -> None:
        self.phase, self.done, self.total = phase, done, total


class ImportBoard:
    def __init__(self) -> None:
        self._jobs: dict[str, ImportJob] = {}
        self._lock = threading.Lock()

    def start(self, database: Database, principal: Principal, kind: str, upload: PrivateFile, settings: Settings,
              options: ImportOptions) -> ImportJob:
        """Import `upload` (a private file, removed when the job ends however it ends) in the background."""
        name = options.file_name or upload.path.name
        job = self.track(ImportJob(secrets.token_urlsafe(12), principal.user_id, kind, name))
        worker = threading.Thread(target=_run, args=(job, database, principal, upload, settings, options),
                                  name=f"import-{job.id}", daemon=True)
        worker.start()
        return job

    def track(self, job: ImportJob) -> ImportJob:
        with self._lock:
            self._forget_old()
            self._jobs[job.id] = job
        return job

    def get(self, job_id: str, principal: Principal) -> ImportJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.user_id != principal.user_id:
            raise NotFound("no such import")
        return job

    def _forget_old(self) -> None:
        now = time.monotonic()
        for job_id in [j.id for j in self._jobs.values() if j.ended_at and now - j.ended_at > KEEP_FINISHED_SECONDS]:
            del self._jobs[job_id]


def _run(job: ImportJob, database: Database, principal: Principal, upload: PrivateFile, settings: Settings,
         options: ImportOptions) -> None:
    try:
        with database.unit_of_work() as session:
            job.report = import_file(session, principal, job.kind, upload.path, settings, options, job.tell)
        job.rejects, job.rejected_rows = job.report.rejects, job.report.rejected_rows
        job.state = DONE
    except ImportRejected as rejected:
        job.rejects, job.rejected_rows, job.state = rejected.rejects, rejected.rejected_rows, REJECTED
    except RecoupError as error:
        job.error, job.state = error.message, FAILED
    except Exception:  # a background thread has nobody above it: say so on the page and in the log
        log.exception("import %s failed", job.id)
        job.error, job.state = "the import failed unexpectedly; nothing was imported", FAILED
    finally:
        job.ended_at = time.monotonic()
        upload.release()
