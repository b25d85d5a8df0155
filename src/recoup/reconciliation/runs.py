"""A saved reconciliation run as people read it: its findings and what it did to the cases, by kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.cases.follow_rules import OUTCOMES_SHOWN
from recoup.errors import NotFound
from recoup.reconciliation.models import ReconciliationRun, RunFollowSummary


@dataclass(frozen=True)
class RunView:
    run_id: int
    run_by: str
    saved_at: datetime
    findings: int
    new_findings: int
    skipped: int
    cases: dict[str, dict[str, int]]  # outcome -> kind -> cases

    def kinds(self) -> list[str]:
        return sorted({kind for by_kind in self.cases.values() for kind in by_kind})

    def totals(self) -> dict[str, int]:
        return {outcome: sum(by_kind.values()) for outcome, by_kind in self.cases.items()}


def run_view(session: Session, principal: Principal, run_id: int | str) -> RunView:
    """One run of the caller's tenant; NotFound for another tenant's (the same answer as no run)."""
    principal.require(Permission.READ)
    text = str(run_id).strip()
    if not text.isdigit() or len(text) > 18:
        raise NotFound(f"no reconciliation run {text[:20]}")
    run = session.get(ReconciliationRun, int(text))
    if run is None or run.tenant_id != principal.tenant_id:
        raise NotFound(f"no reconciliation run {run_id}")
    stored = session.execute(select(RunFollowSummary.counts).where(RunFollowSummary.run_id == run.id)).scalar()
    counts = stored or {}
    cases = {outcome.value: dict(counts.get(outcome.value, {})) for outcome in OUTCOMES_SHOWN}
    if not stored and run.cases_opened:  # a run saved before cases followed their findings
        cases["opened"] = {"": run.cases_opened}
    return RunView(run.id, run.run_by, run.saved_at, run.finding_count, run.new_findings, run.skipped, cases)
