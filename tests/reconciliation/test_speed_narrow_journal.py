"""Before the orders are loaded, the journal gives up the columns only the settlement phase reads (issue 15: at 10
million lines they made the order phase spill): every row keeps its line number and its other values, whichever
read (strict or lenient) loaded it, and an order-phase query naming a dropped column fails instead of reading NULL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from tests.support.samples import RECON

from recoup.reconciliation import service
from recoup.reconciliation.engine import SETTLEMENT_PHASE_JOURNAL_COLUMNS, EngineResult
from recoup.reconciliation.findings import Finding
from recoup.reconciliation.relations import RELATION_COLUMNS

KEPT = [name for name, _ in RELATION_COLUMNS["journal"] if name not in SETTLEMENT_PHASE_JOURNAL_COLUMNS]


def _rows(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return sorted(con.execute(f"SELECT {', '.join(KEPT)} FROM journal").fetchall(), key=repr)


def _run(journal: Path) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def first(con: duckdb.DuckDBPyConnection, **_options: object) -> list[Finding]:
        seen["before"] = _rows(con)
        seen["stans"] = con.execute("SELECT count(stan) FROM journal").fetchone()
        return []

    def second(con: duckdb.DuckDBPyConnection, **_options: object) -> EngineResult:
        seen["after"] = _rows(con)
        seen["columns"] = [row[0] for row in con.execute("DESCRIBE journal").fetchall()]
        for column in SETTLEMENT_PHASE_JOURNAL_COLUMNS:
            with pytest.raises(duckdb.BinderException):
                con.execute(f"SELECT j.{column} FROM journal j")
        return EngineResult([])

    service._reconcile_in(RECON / "orders.csv", journal, RECON / "settlement.csv", RECON / "merchants.csv",
                          b"test-key", False, service._Phases(first, second))
    return seen


@pytest.mark.parametrize("spelling", ["strict", "lenient"])
def test_the_order_phase_sees_every_journal_row_as_before_without_the_dropped_columns(
        spelling: str, tmp_path: Path) -> None:
    journal = RECON / "journal.csv"
    if spelling == "lenient":  # a padded value: the strict read doubts it, the lenient one trims it
        journal = tmp_path / "journal.csv"
        journal.write_text((RECON / "journal.csv").read_text(encoding="utf-8").replace(",SALE,", ", SALE,", 1),
                           encoding="utf-8")
    seen = _run(journal)
    assert seen["stans"][0] > 0  # the first phase still had the STANs
    assert seen["after"] == seen["before"]
    assert len(seen["after"]) == len(journal.read_text(encoding="utf-8").splitlines()) - 1
    assert seen["columns"] == KEPT
