"""`recoup reconcile --engine spark`: SPEC files (CSV) or relation files (Parquet) reconciled on Spark.

CSV inputs are checked exactly as the DuckDB engine checks them (the same loader: every reject named
by line and column, nothing reconciled unless all is well) and written as Parquet relations, which is
the input Spark reads; Parquet inputs (already checked relations, e.g. a nightly export on a cluster's
storage) go to Spark as they are. The findings file is written by the same writer as the DuckDB
engine's, so the two engines' files are byte-identical.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any, cast

import duckdb

from recoup.reconciliation.engine import StepListener
from recoup.reconciliation.findings import Kind
from recoup.reconciliation.findings_csv import write_findings
from recoup.reconciliation.relations import RELATION_COLUMNS
from recoup.reconciliation.service import (
    MEMORY_LIMIT,
    ReconcileSummary,
    _Inputs,
    _load_files,
    _load_registry,
)
from recoup.reconciliation.sources import source_warnings
from recoup.reconciliation.spark_engine import RELATIONS, reconcile_on_spark, spark_session
from recoup.reconciliation.spark_sql import query_for_spark
from recoup.scratch import scratch_folder
from recoup.transactions.duck import spilling_memory


def stage_relations(folder: Path, paths: dict[str, Path | None], card_key: bytes,
                    notify: StepListener) -> tuple[dict[str, int], list[str]]:
    """Check and load the CSV inputs (the DuckDB engine's loader), then write each relation as Parquet."""
    with spilling_memory(MEMORY_LIMIT, str(folder / "spill")) as con:
        inputs = _Inputs()
        timezones = _load_registry(con, paths["merchants"], inputs, notify)
        _load_files(con, ("orders", "journal", "settlement"), paths, card_key, timezones, inputs, notify)
        for relation in RELATIONS:
            columns = ", ".join(f"CAST({name} AS {sql_type}) AS {name}"
                                for name, sql_type in RELATION_COLUMNS[relation])
            target = folder / f"{relation}.parquet"
            con.execute(f"COPY (SELECT {columns} FROM {relation}) TO '{target}' (FORMAT PARQUET)")
    return inputs.ordered()


class _SparkCursor:
    """Enough of a DuckDB connection for sources.py's warnings: its queries, transpiled, on Spark."""

    def __init__(self, spark: Any) -> None:
        self._spark = spark
        self._rows: list[tuple[Any, ...]] = []

    def execute(self, sql: str) -> _SparkCursor:
        self._rows = [tuple(row) for row in self._spark.sql(query_for_spark(sql)).collect()]
        return self

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None


def _all_parquet(paths: dict[str, Path | None]) -> bool:
    given = [path for path in paths.values() if path is not None]
    return all(path.suffix == ".parquet" or path.is_dir() for path in given)


def reconcile_files_on_spark(orders: Path, journal: Path, settlement: Path, merchants: Path | None, out: Path, *,
                             card_key: bytes, master: str = "local[2]",
                             on_step: StepListener | None = None) -> ReconcileSummary:
    """Reconcile on Spark and write `out` (nothing written unless the whole run succeeds)."""
    notify: StepListener = on_step or (lambda _label: None)
    started = time.monotonic()
    paths: dict[str, Path | None] = {"orders": orders, "journal": journal, "settlement": settlement,
                                     "merchants": merchants}
    with scratch_folder("spark") as scratch:
        folder = Path(scratch)
        if _all_parquet(paths):
            rows: dict[str, int] = {}
            warnings: list[str] = []
            parquet = {relation: str(path) for relation, path in paths.items() if path is not None}
        else:
            rows, warnings = stage_relations(folder, paths, card_key, notify)
            parquet = {relation: str(folder / f"{relation}.parquet") for relation in RELATIONS}
        notify("starting Spark")
        spark = spark_session(master)
        with_merchants = merchants is not None
        findings = reconcile_on_spark(spark, parquet, with_merchants=with_merchants, on_step=notify,
                                      before_drop=lambda: warnings.extend(
                                          source_warnings(cast(duckdb.DuckDBPyConnection, _SparkCursor(spark)),
                                                          with_merchants=with_merchants)))
        written = write_findings(findings, out)
    counted = Counter(finding.kind.value for finding in findings)
    counts = {kind.value: counted.get(kind.value, 0) for kind in Kind}
    return ReconcileSummary(counts, written, out, rows, warnings, time.monotonic() - started)
