"""`recoup reconcile --db`: the same engine over the stored transactions in the caller's scope."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.db import Database
from recoup.merchants.repository import list_merchants
from recoup.reconciliation.db_source import DbScope, fill_relations
from recoup.reconciliation.engine import EngineResult, StepListener, reconcile_relations
from recoup.reconciliation.findings import Kind
from recoup.reconciliation.findings_csv import write_findings
from recoup.reconciliation.models import StoredFinding
from recoup.reconciliation.records import finding_records
from recoup.reconciliation.store import ReadScope, SaveReport, save_findings
from recoup.transactions.duck import spilling_memory

DEFAULT_ZONE = "Asia/Shanghai"


@dataclass
class DbReconcileSummary:
    counts: dict[str, int]
    total: int
    rows: dict[str, int]
    warnings: list[str] = field(default_factory=list)
    saved: str | None = None  # the save report, when --save
    seconds: float = 0.0
    cases: dict[str, dict[str, int]] | None = None  # with --save: cases by outcome and kind
    run_id: int | None = None

    def table(self) -> list[dict[str, object]]:
        """One row per kind: its findings and, once saved, what happened to the cases of that kind."""
        rows: list[dict[str, object]] = []
        for kind, count in self.counts.items():
            row: dict[str, object] = {"kind": kind, "findings": count}
            for outcome, by_kind in (self.cases or {}).items():
                row[outcome] = by_kind.get(kind, 0)
            rows.append(row)
        return rows

    def columns(self) -> list[str]:
        return ["kind", "findings", *(self.cases or {})]


def reconcile_database(database: Database, principal: Principal, scope: DbScope, *, out: Path | None,
                       save: bool, now: datetime | None = None) -> DbReconcileSummary:
    """One unit of work: the run reads, saves and brings the cases up to date in one transaction, so a
    run killed half-way saves nothing and the next run does it all."""
    with database.unit_of_work() as session:
        return run_in_session(session, principal, scope, out=out, save=save, now=now)


def run_in_session(session: Session, principal: Principal, scope: DbScope, *, out: Path | None, save: bool,
                   now: datetime | None = None) -> DbReconcileSummary:
    """`reconcile_database` in the caller's transaction (the caller commits): the API's request."""
    principal.require(Permission.RECONCILE)
    started = time.monotonic()
    result, rows, zones = reconcile_scope(session, principal, scope)
    if out is not None:
        write_findings(result.findings, out)
    report: SaveReport | None = None
    if save:
        report = save_db_run(session, principal, result, scope, zones, now)
    counted = Counter(f.kind.value for f in result.findings)
    return DbReconcileSummary({k.value: counted.get(k.value, 0) for k in Kind}, len(result.findings), rows,
                              result.warnings, report.summary() if report else None, time.monotonic() - started,
                              report.follow.as_dict() if report else None, report.run_id if report else None)


def reconcile_scope(session: Session, principal: Principal, scope: DbScope, on_step: StepListener | None = None,
                    ) -> tuple[EngineResult, dict[str, int], dict[str, str]]:
    """The engine over the stored lines in `scope`: its result, the rows read by relation, and the merchants'
    time zones (what `in_db_scope` needs to save the run)."""
    with spilling_memory("3GB") as con:
        rows = fill_relations(con, session, principal, scope)
        zones = {m.merchant_id: m.timezone or "" for m in list_merchants(session, principal)}
        return reconcile_relations(con, with_merchants=rows["merchants"] > 0, on_step=on_step), rows, zones


def save_db_run(session: Session, principal: Principal, result: EngineResult, scope: DbScope,
                zones: dict[str, str], now: datetime | None) -> SaveReport:
    """Save a run over the stored data in `scope`: the cases of earlier findings there follow what it no longer
    reports (`in_db_scope`), and the run keeps what it read (days, merchants) for the imports list."""
    merchants = ((scope.merchant_id,) if scope.merchant_id else
                 tuple(sorted(principal.merchant_ids)) if principal.limited_to_merchants else None)
    return save_findings(session, principal, finding_records(result.findings), now,
                         in_scope=lambda finding: in_db_scope(finding, scope, zones),
                         read=ReadScope(scope.date_from, scope.date_to, merchants))


def in_db_scope(finding: StoredFinding, scope: DbScope, zones: dict[str, str]) -> bool:
    """Whether a stored finding lies in what this run read (its merchant, and its day in the range)."""
    if scope.merchant_id and finding.merchant_id != scope.merchant_id:
        return False
    if scope.date_from is None and scope.date_to is None:
        return True
    if finding.txn_time is None:
        return False  # no day: a run over some days cannot say it no longer holds
    day = finding.txn_time.astimezone(ZoneInfo(zones.get(finding.merchant_id) or DEFAULT_ZONE)).date()
    return (scope.date_from is None or day >= scope.date_from) and (scope.date_to is None or day <= scope.date_to)
