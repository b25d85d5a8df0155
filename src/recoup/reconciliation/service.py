"""Reconcile files: load the CSV inputs into an in-memory DuckDB, run the engine, write findings."""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from recoup.reconciliation.engine import EngineResult, StepListener, reconcile_relations, step_count
from recoup.reconciliation.findings import Kind
from recoup.reconciliation.findings_csv import write_findings
from recoup.reconciliation.relations import RELATION_COLUMNS, empty_merchants_sql
from recoup.transactions.csv_input import DEFAULT_TIMEZONE, load_csv
from recoup.transactions.duck import configure

MEMORY_LIMIT = "3GB"
# Loaded inputs take about as many bytes in memory as their CSV files. Beyond this size they would not
# fit the memory limit next to the engine's work and would spill uncompressed; a scratch database file
# keeps them compressed instead (costlier to write, far cheaper than spilling).
IN_MEMORY_INPUT_BYTES = 1_200_000_000


@dataclass
class ReconcileSummary:
    counts: dict[str, int]  # findings per kind (every kind, zeros included)
    total: int
    out: Path
    rows: dict[str, int] = field(default_factory=dict)  # lines loaded per input
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def table(self) -> list[dict[str, object]]:
        return [{"kind": kind, "findings": count} for kind, count in self.counts.items()]


# The columns the engine reads; the other columns are validated but not kept.
ENGINE_COLUMNS: dict[str, frozenset[str]] = {
    "merchants": frozenset({"merchant_id", "mcc", "timezone"}),
    "orders": frozenset({"order_no", "merchant_id", "terminal_id", "created_at", "local_date", "expected_minor",
                         "currency"}),
    "journal": frozenset({"merchant_id", "terminal_id", "txn_time", "local_date", "txn_type", "status",
                          "amount_minor", "currency", "rrn", "stan", "card_masked", "card_token", "order_no",
                          "orig_rrn"}),
    "settlement": frozenset({"merchant_id", "terminal_id", "txn_time", "local_date", "txn_type", "rrn",
                             "amount_minor", "currency", "mcc", "order_no", "stan"}),
}


def _load(con: duckdb.DuckDBPyConnection, relation: str, path: Path, card_key: bytes | None = None,
          timezones: dict[str, str] | None = None) -> tuple[int, list[str]]:
    """Load one file and expose the relation's columns under the relation's name (NULL where not kept)."""
    kept = ENGINE_COLUMNS[relation]
    loaded = load_csv(con, relation, path, table=f"{relation}_input", card_key=card_key, timezones=timezones,
                      default_timezone=DEFAULT_TIMEZONE, columns=kept, keep_extra=False, line_numbers=False,
                      run_tokens=True)  # tokens only compare cards within this run: never stored
    columns = ", ".join(name if name in kept or name == "line_no" else f"CAST(NULL AS {sql_type}) AS {name}"
                        for name, sql_type in RELATION_COLUMNS[relation])
    con.execute(f"CREATE VIEW {relation} AS SELECT {columns} FROM {loaded.table}")
    return loaded.rows, loaded.warnings


def _load_inputs(con: duckdb.DuckDBPyConnection, paths: dict[str, Path | None], card_key: bytes,
                 notify: StepListener) -> tuple[dict[str, int], list[str]]:
    rows: dict[str, int] = {}
    warnings: list[str] = []
    timezones: dict[str, str] = {}
    merchants = paths["merchants"]
    if merchants is None:
        con.execute(empty_merchants_sql())
    else:
        notify(f"reading {merchants.name}")
        rows["merchants"], found = _load(con, "merchants", merchants)
        warnings += found
        timezones = dict(con.execute("SELECT merchant_id, timezone FROM merchants "
                                     "WHERE timezone IS NOT NULL").fetchall())
    for relation in ("orders", "journal", "settlement"):
        path = paths[relation]
        if path is None:
            raise ValueError(f"no {relation} file")
        notify(f"reading {path.name}")
        rows[relation], found = _load(con, relation, path, card_key, timezones)
        warnings += found
    return rows, warnings


@contextmanager
def _progress(enabled: bool, total: int) -> Iterator[StepListener]:
    if not enabled:
        yield lambda _label: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda _label: None
        return
    with Progress(TextColumn("{task.description:<40}"), BarColumn(), TimeElapsedColumn(), console=console,
                  transient=True) as bar:
        task = bar.add_task("reconciling", total=total)

        def advance(label: str) -> None:
            bar.update(task, advance=1, description=label)

        yield advance


def reconcile_files(orders: Path, journal: Path, settlement: Path, merchants: Path | None, out: Path, *,
                    card_key: bytes, progress: bool = False) -> ReconcileSummary:
    """Reconcile the three files (and the merchant registry when given) and write `out`.

    Nothing is written to `out` unless the whole run succeeds. Raises InvalidInput for bad input.
    Work that does not fit in memory spills to a private temporary folder, removed at the end.
    """
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="recoup-reconcile-") as spill:
        result, rows, warnings = _reconcile_in(Path(spill), orders, journal, settlement, merchants, card_key,
                                               progress)
        written = write_findings(result.findings, out)
    counted = Counter(finding.kind.value for finding in result.findings)
    counts = {kind.value: counted.get(kind.value, 0) for kind in Kind}
    return ReconcileSummary(counts, written, out, rows, warnings + result.warnings, time.monotonic() - started)


def _reconcile_in(spill: Path, orders: Path, journal: Path, settlement: Path, merchants: Path | None,
                  card_key: bytes, progress: bool) -> tuple[EngineResult, dict[str, int], list[str]]:
    inputs = sum(path.stat().st_size for path in (orders, journal, settlement, merchants) if path is not None)
    con = duckdb.connect(":memory:" if inputs <= IN_MEMORY_INPUT_BYTES else str(spill / "work.duckdb"))
    try:
        configure(con, memory_limit=MEMORY_LIMIT)
        con.execute("SET preserve_insertion_order = false")  # findings are sorted on output; rows need no order
        con.execute(f"SET temp_directory = '{spill}'")
        with_merchants = merchants is not None
        total = step_count(with_merchants=with_merchants) + 3 + (1 if with_merchants else 0)
        with _progress(progress, total) as notify:
            paths = {"orders": orders, "journal": journal, "settlement": settlement, "merchants": merchants}
            rows, warnings = _load_inputs(con, paths, card_key, notify)
            result = reconcile_relations(con, with_merchants=with_merchants, on_step=notify)
    finally:
        con.close()
    return result, rows, warnings
