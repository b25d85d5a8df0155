"""One saved reconciliation run over an import's days, telling its progress as it goes.

It is `recoup reconcile --db --save --from --to [--merchant]` (reconciliation/db_run.py) with a
listener: the same relations from the database, the same engine, and the same `save_findings` with
the same `in_db_scope`, so findings are stored and cases open, join and follow exactly as the CLI's
run does. The caller owns the transaction (the job's own unit of work).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recoup.audit.service import record
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.cases.follow_rules import OUTCOMES_SHOWN
from recoup.reconciliation.db_run import reconcile_scope, save_db_run
from recoup.reconciliation.engine import step_count
from recoup.reconciliation.jobs_scope import ImportDays
from recoup.reconciliation.models import StoredFinding

READING, CHECKING, SAVING = "reading", "checking", "saving"
JOB_ACTION = "reconciliation.import_days"  # the audit entry that ties a run to the import it reconciled
Listener = Callable[[str, str], None]  # (phase, step label)


@dataclass(frozen=True)
class JobOutcome:
    run_id: int
    findings: int  # every finding the run reported (new or seen before)
    new_by_kind: dict[str, int]  # findings this run stored for the first time
    cases: dict[str, dict[str, int]] = field(default_factory=dict)  # outcome -> kind -> cases
    joined: int = 0  # new findings that joined a case already open
    skipped: int = 0

    def case_totals(self) -> dict[str, int]:
        return {outcome: sum(by_kind.values()) for outcome, by_kind in self.cases.items()}


def steps_in_run(*, with_merchants: bool = True) -> int:
    """Reading, each engine step, saving: what a progress bar counts to."""
    return 2 + step_count(with_merchants=with_merchants)


def reconcile_import_days(session: Session, principal: Principal, days: ImportDays, now: datetime,
                          tell: Listener) -> JobOutcome:
    """Reconcile and save the import's days in the caller's transaction; audit which import it was."""
    principal.require(Permission.RECONCILE)
    scope = days.scope()
    tell(READING, "")
    result, _rows, zones = reconcile_scope(session, principal, scope, on_step=lambda label: tell(CHECKING, label))
    tell(SAVING, "")
    report = save_db_run(session, principal, result, scope, zones, now)
    outcome = JobOutcome(report.run_id, report.findings, new_by_kind(session, report.run_id),
                         _shown(report.follow.as_dict()), report.cases_joined, report.skipped)
    # The days and merchants the run read are on the run itself (ReconciliationRun.read_*, migration 0014):
    # the entry only ties the import to its run, with the counts.
    record(session, principal.actor(), JOB_ACTION, "import_batch", str(days.batch_id), at=now,
           after={"run_id": report.run_id, "findings": report.findings, "new": report.new_findings})
    return outcome


def new_by_kind(session: Session, run_id: int) -> dict[str, int]:
    """The findings a run stored first, by kind."""
    rows = session.execute(select(StoredFinding.kind, func.count()).where(StoredFinding.run_id == run_id)
                           .group_by(StoredFinding.kind).order_by(StoredFinding.kind))
    return {str(kind): int(count) for kind, count in rows}


def _shown(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {outcome.value: dict(counts.get(outcome.value, {})) for outcome in OUTCOMES_SHOWN}
