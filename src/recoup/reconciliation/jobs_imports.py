"""What the imports list says of each import: the findings on its days and whether they were reconciled since.

"Reconciled since" is known for the runs started from the import page: their audit entry
(`JOB_ACTION`) records the days and merchants they read, so a run over an import's days also counts
for the other imports of those days it read after them. A run of the CLI or the API does not record
the days it read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.audit.models import AuditEntry
from recoup.auth.principal import Principal
from recoup.reconciliation.inbox import FindingFilter, list_findings
from recoup.reconciliation.jobs_run import JOB_ACTION
from recoup.reconciliation.jobs_scope import ImportDays, days_of_imports
from recoup.transactions.models import ImportBatch


@dataclass(frozen=True)
class ImportFindings:
    days: ImportDays
    findings: int  # stored findings on the import's days (of its merchant, or of every merchant in scope)
    run_id: int | None = None  # the latest page-started run after the import that read all its days
    run_at: datetime | None = None


@dataclass(frozen=True)
class PageRun:
    """A run started from the page, as its audit entry tells it."""

    run_id: int
    at: datetime
    merchant_ids: frozenset[str]
    date_from: date
    date_to: date

    def covers(self, days: ImportDays, imported_at: datetime) -> bool:
        """Whether this run read every day of the import, after it."""
        return (_aware(self.at) >= _aware(imported_at) and self.date_from <= days.date_from
                and days.date_to <= self.date_to and set(days.merchant_ids) <= self.merchant_ids)


def findings_of_imports(session: Session, principal: Principal,
                        batches: Sequence[ImportBatch]) -> dict[int, ImportFindings]:
    """Per import that brought transactions of the caller's merchants: its findings and its latest run."""
    days = days_of_imports(session, principal, [batch.id for batch in batches])
    imported_at = {batch.id: batch.imported_at for batch in batches}
    runs = _page_runs(session, principal, min(imported_at.values())) if days else []
    shown: dict[int, ImportFindings] = {}
    for batch_id, span in days.items():
        wanted = FindingFilter(merchant_id=span.merchant_id, date_from=span.date_from, date_to=span.date_to,
                               limit=1)
        total, _ = list_findings(session, principal, wanted)
        covering = [run for run in runs if run.covers(span, imported_at[batch_id])]
        latest = covering[-1] if covering else None
        shown[batch_id] = ImportFindings(span, total, latest.run_id if latest else None,
                                         latest.at if latest else None)
    return shown


def _page_runs(session: Session, principal: Principal, since: datetime) -> list[PageRun]:
    """The page-started runs of the caller's tenant since `since`, oldest first."""
    rows = session.execute(select(AuditEntry.after, AuditEntry.at).where(
        AuditEntry.tenant_id == principal.tenant_id, AuditEntry.action == JOB_ACTION, AuditEntry.at >= since)
        .order_by(AuditEntry.seq))
    runs: list[PageRun] = []
    for after, at in rows:
        facts: dict[str, Any] = dict(after or {})
        try:
            runs.append(PageRun(int(facts["run_id"]), at, frozenset(str(m) for m in facts["merchants"]),
                                date.fromisoformat(str(facts["date_from"])), date.fromisoformat(str(facts["date_to"]))))
        except (KeyError, TypeError, ValueError):
            continue  # an entry of another shape: it tells no days
    return runs


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
