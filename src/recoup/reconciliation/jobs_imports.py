"""What the imports list says of each import: the findings on its days and whether they were reconciled since.

Every saved run over the stored data (the import page's, `recoup reconcile --db --save`, the API's) keeps
the days and merchants it read on its row (`ReconciliationRun.read_*`), so a run over an import's days
counts for every import of those days it read after them, whoever started it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.auth.scoping import scoped
from recoup.reconciliation.inbox import day_window, days_in_zones, zone_groups
from recoup.reconciliation.jobs_scope import ImportDays, days_of_imports
from recoup.reconciliation.models import ReconciliationRun, StoredFinding
from recoup.transactions.models import ImportBatch

F = StoredFinding


@dataclass(frozen=True)
class ImportFindings:
    days: ImportDays
    findings: int  # stored findings on the import's days (of its merchant, or of every merchant in scope)
    run_id: int | None = None  # the latest saved run after the import that read all its days
    run_at: datetime | None = None


@dataclass(frozen=True)
class StoredRun:
    """A saved run over the stored data and what it read (None: every day on that side, every merchant)."""

    run_id: int
    at: datetime
    merchant_ids: frozenset[str] | None
    date_from: date | None
    date_to: date | None

    def covers(self, days: ImportDays, imported_at: datetime) -> bool:
        """Whether this run read every day of the import, after it."""
        return (_aware(self.at) >= _aware(imported_at)
                and (self.date_from is None or self.date_from <= days.date_from)
                and (self.date_to is None or days.date_to <= self.date_to)
                and (self.merchant_ids is None or set(days.merchant_ids) <= self.merchant_ids))


def findings_of_imports(session: Session, principal: Principal,
                        batches: Sequence[ImportBatch]) -> dict[int, ImportFindings]:
    """Per import that brought transactions of the caller's merchants: its findings and its latest run."""
    days = days_of_imports(session, principal, [batch.id for batch in batches])
    imported_at = {batch.id: batch.imported_at for batch in batches}
    runs = _stored_runs(session, principal, min(imported_at.values())) if days else []
    totals = finding_counts(session, principal, days)
    shown: dict[int, ImportFindings] = {}
    for batch_id, span in days.items():
        covering = [run for run in runs if run.covers(span, imported_at[batch_id])]
        latest = covering[-1] if covering else None
        shown[batch_id] = ImportFindings(span, totals[batch_id], latest.run_id if latest else None,
                                         latest.at if latest else None)
    return shown


def finding_counts(session: Session, principal: Principal, days: Mapping[int, ImportDays]) -> dict[int, int]:
    """The stored findings on each import's days (of its one merchant, else of every merchant in the caller's
    scope), as the findings list filtered to those days counts them: one query, a conditional count per
    import (and one for the merchants' zones), however many imports the page lists."""
    if not days:
        return {}
    zones = zone_groups(session, principal.tenant_id)
    windows = {batch_id: _window(span, zones) for batch_id, span in days.items()}
    ids = sorted(windows)
    query = scoped(F, principal).with_only_columns(*(func.count(case((windows[i], 1))) for i in ids))
    row = session.execute(query.where(or_(*windows.values())).order_by(None)).one()
    return {batch_id: int(count) for batch_id, count in zip(ids, row, strict=True)}


def _window(span: ImportDays, zones: dict[str, list[str]]) -> ColumnElement[bool]:
    """The findings of the import's days: each day in its merchant's own zone (recoup.reconciliation.inbox)."""
    first, last = span.date_from, span.date_to
    if span.merchant_id:
        zone = next((name for name, ids in zones.items() if span.merchant_id in ids), "")
        return and_(F.merchant_id == span.merchant_id, day_window(zone, first, last))
    return days_in_zones(zones, first, last)


def _stored_runs(session: Session, principal: Principal, since: datetime) -> list[StoredRun]:
    """The saved runs over the stored data of the caller's tenant since `since`, oldest first."""
    R = ReconciliationRun
    rows = session.execute(select(R.id, R.saved_at, R.read_merchants, R.read_from, R.read_to).where(
        R.tenant_id == principal.tenant_id, R.over_stored.is_(True), R.saved_at >= since).order_by(R.id))
    return [StoredRun(int(run_id), at, None if merchants is None else frozenset(str(m) for m in merchants),
                      date_from, date_to) for run_id, at, merchants, date_from, date_to in rows]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
