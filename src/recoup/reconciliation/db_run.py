"""`recoup reconcile --db`: the same engine over the stored transactions in the caller's scope."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.db import Database
from recoup.reconciliation.db_source import DbScope, fill_relations
from recoup.reconciliation.engine import reconcile_relations
from recoup.reconciliation.findings import Kind
from recoup.reconciliation.findings_csv import write_findings
from recoup.reconciliation.records import finding_records
from recoup.reconciliation.store import save_findings
from recoup.transactions.duck import configure


@dataclass
class DbReconcileSummary:
    counts: dict[str, int]
    total: int
    rows: dict[str, int]
    warnings: list[str] = field(default_factory=list)
    saved: str | None = None  # the save report, when --save
    seconds: float = 0.0

    def table(self) -> list[dict[str, object]]:
        return [{"kind": kind, "findings": count} for kind, count in self.counts.items()]


def reconcile_database(database: Database, principal: Principal, scope: DbScope, *, out: Path | None,
                       save: bool) -> DbReconcileSummary:
    principal.require(Permission.RECONCILE)
    started = time.monotonic()
    con = duckdb.connect()
    try:
        configure(con, memory_limit="3GB")
        with database.unit_of_work() as session:
            rows = fill_relations(con, session, principal, scope)
        result = reconcile_relations(con, with_merchants=rows["merchants"] > 0)
    finally:
        con.close()
    if out is not None:
        write_findings(result.findings, out)
    saved = None
    if save:
        with database.unit_of_work() as session:
            saved = save_findings(session, principal, finding_records(result.findings)).summary()
    counted = Counter(f.kind.value for f in result.findings)
    return DbReconcileSummary({k.value: counted.get(k.value, 0) for k in Kind}, len(result.findings), rows,
                              result.warnings, saved, time.monotonic() - started)
