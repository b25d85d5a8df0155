"""The sales-to-orders join built on the orders (engine.BUILD_AS_WRITTEN) finds exactly what DuckDB's own
plan finds, and leaves the connection's optimizer settings as they were."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from tests.support.samples import RECON

from recoup.reconciliation import engine, steps
from recoup.reconciliation.engine import reconcile_relations
from recoup.reconciliation.findings import Finding
from recoup.reconciliation.service import _load_inputs

PATHS: dict[str, Path | None] = {name: RECON / f"{name}.csv"
                                 for name in ("orders", "journal", "settlement", "merchants")}


def _run(monkeypatch: pytest.MonkeyPatch, hinted: bool) -> tuple[list[Finding], list[tuple[object, ...]], str]:
    monkeypatch.setattr(engine, "BUILD_AS_WRITTEN", engine.BUILD_AS_WRITTEN if hinted else frozenset())
    con = duckdb.connect()
    try:
        con.execute("SET disabled_optimizers = 'top_n'")
        _load_inputs(con, dict(PATHS), b"key", lambda _label: None)
        result = reconcile_relations(con, with_merchants=True)
        sales = con.execute("SELECT * FROM rc_sale_orders ORDER BY ALL").fetchall()
        setting = str(con.execute("SELECT current_setting('disabled_optimizers')").fetchall()[0][0])
    finally:
        con.close()
    return sorted(result.findings, key=lambda f: f.sort_key), sales, setting


def test_building_on_the_orders_changes_no_finding_and_restores_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert steps.SALE_ORDERS in engine.BUILD_AS_WRITTEN
    hinted_findings, hinted_sales, hinted_setting = _run(monkeypatch, hinted=True)
    planned_findings, planned_sales, _ = _run(monkeypatch, hinted=False)
    assert hinted_findings
    assert hinted_findings == planned_findings
    assert hinted_sales == planned_sales
    assert hinted_setting == "top_n"
