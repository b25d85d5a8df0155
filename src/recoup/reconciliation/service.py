"""Reconcile files: load the CSV inputs into an in-memory DuckDB, run the engine, write findings."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from recoup.reconciliation.engine import (
    SETTLEMENT_PHASE_JOURNAL_COLUMNS,
    EngineResult,
    StepListener,
    order_phase,
    settlement_phase,
    step_count,
)
from recoup.reconciliation.findings import Finding, Kind
from recoup.reconciliation.findings_csv import write_findings
from recoup.reconciliation.relations import RELATION_COLUMNS, empty_merchants_sql
from recoup.transactions.csv_input import DEFAULT_TIMEZONE, load_csv
from recoup.transactions.duck import spilling_memory

# DuckDB's own memory; the process peaks a few hundred MB above it (the goal: under 4 GiB). Loaded
# inputs take about a third of their CSV size (narrow columns, codes as ENUMs); what does not fit
# spills to a private folder. Measured at 10 million journal lines, spilling the overflow costs far
# less than keeping the inputs in a compressed scratch database (compression costs more CPU than
# the whole load). At 10 million lines the journal and the settlement alone fill 3.2 GB: 3800MB
# (peak 3.57 GiB measured by bench/reconcile.py) leaves the big joins more room than 3500MB did, so
# they spill less.
MEMORY_LIMIT = "3800MB"


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
                      run_tokens=True,  # tokens only compare cards within this run: never stored
                      enum_codes=True)
    _relation_view(con, relation, kept, loaded.table)
    return loaded.rows, loaded.warnings


def _relation_view(con: duckdb.DuckDBPyConnection, relation: str, kept: frozenset[str], source: str,
                   left_out: tuple[str, ...] = ()) -> None:
    """The relation's columns under its name: those kept from `source`, NULL for the others, none of `left_out`."""
    columns = ", ".join(name if name in kept or name == "line_no" else f"CAST(NULL AS {sql_type}) AS {name}"
                        for name, sql_type in RELATION_COLUMNS[relation] if name not in left_out)
    con.execute(f"CREATE OR REPLACE VIEW {relation} AS SELECT {columns} FROM {source}")


def _narrow_journal(con: duckdb.DuckDBPyConnection) -> None:
    """Free the journal's columns that only the settlement phase reads, before the orders come in: at 10 million
    lines their 320 MB made the order phase spill to disk (its sales join, duplicates and payments, 20.0 s
    where it takes 17.3 without them: bench/reconcile.py). ALTER TABLE ... DROP COLUMN keeps every row where it
    was, so line_no (the rowid) still names the rows the first phase's working tables hold; the journal is then
    shown without those columns, so that an order-phase query reading one fails rather than reads NULLs."""
    dropped = SETTLEMENT_PHASE_JOURNAL_COLUMNS
    con.execute("DROP VIEW journal")
    con.execute("DROP VIEW journal_input")
    for column in dropped:
        con.execute(f"ALTER TABLE journal_input__rows DROP COLUMN {column}")
    con.execute("CREATE VIEW journal_input AS SELECT rowid + 2 AS line_no, * FROM journal_input__rows")
    _relation_view(con, "journal", ENGINE_COLUMNS["journal"], "journal_input", left_out=dropped)


@dataclass
class _Inputs:
    """What the loads found, kept in the order of INPUT_ORDER whatever order they ran in."""

    rows: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)

    def add(self, relation: str, rows: int, warnings: list[str]) -> None:
        self.rows[relation], self.warnings[relation] = rows, warnings

    def ordered(self) -> tuple[dict[str, int], list[str]]:
        present = [relation for relation in INPUT_ORDER if relation in self.rows]
        return ({relation: self.rows[relation] for relation in present},
                [warning for relation in present for warning in self.warnings[relation]])


INPUT_ORDER = ("merchants", "orders", "journal", "settlement")


def _load_registry(con: duckdb.DuckDBPyConnection, merchants: Path | None, inputs: _Inputs,
                   notify: StepListener) -> dict[str, str]:
    """The merchant registry (or an empty one); the merchants' time zones."""
    if merchants is None:
        con.execute(empty_merchants_sql())
        return {}
    notify(f"reading {merchants.name}")
    inputs.add("merchants", *_load(con, "merchants", merchants))
    return dict(con.execute("SELECT merchant_id, timezone FROM merchants WHERE timezone IS NOT NULL").fetchall())


def _load_files(con: duckdb.DuckDBPyConnection, relations: tuple[str, ...], paths: dict[str, Path | None],
                card_key: bytes, timezones: dict[str, str], inputs: _Inputs, notify: StepListener) -> None:
    for relation in relations:
        path = paths[relation]
        if path is None:
            raise ValueError(f"no {relation} file")
        notify(f"reading {path.name}")
        inputs.add(relation, *_load(con, relation, path, card_key, timezones))


def _drop_input(con: duckdb.DuckDBPyConnection, relation: str) -> None:
    """Free the memory of a loaded input no later step reads."""
    con.execute(f"DROP VIEW IF EXISTS {relation}")
    con.execute(f"DROP VIEW IF EXISTS {relation}_input")
    con.execute(f"DROP TABLE IF EXISTS {relation}_input__rows")


def _load_inputs(con: duckdb.DuckDBPyConnection, paths: dict[str, Path | None], card_key: bytes,
                 notify: StepListener) -> tuple[dict[str, int], list[str]]:
    """Load every input at once (the engine's relations, for one call of reconcile_relations)."""
    inputs = _Inputs()
    timezones = _load_registry(con, paths["merchants"], inputs, notify)
    _load_files(con, ("orders", "journal", "settlement"), paths, card_key, timezones, inputs, notify)
    return inputs.ordered()


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
                    card_key: bytes, progress: bool = False, on_step: StepListener | None = None) -> ReconcileSummary:
    """Reconcile the three files (and the merchant registry when given) and write `out`.

    Nothing is written to `out` unless the whole run succeeds. Raises InvalidInput for bad input.
    Work that does not fit in memory spills to a private temporary folder, removed at the end.
    `on_step`, when given, is told the label of every step as it starts (bench/reconcile.py times
    them); the last is "writing findings".
    """
    started = time.monotonic()
    result, rows, warnings = _reconcile_in(orders, journal, settlement, merchants, card_key, progress,
                                           listener=on_step)
    if on_step is not None:
        on_step("writing findings")
    written = write_findings(result.findings, out)
    counted = Counter(finding.kind.value for finding in result.findings)
    counts = {kind.value: counted.get(kind.value, 0) for kind in Kind}
    return ReconcileSummary(counts, written, out, rows, warnings + result.warnings, time.monotonic() - started)


@dataclass(frozen=True)
class _Phases:
    """What runs between the loads: the engine's two phases (or nothing, to time the loads alone)."""

    first: Callable[..., list[Finding]]
    second: Callable[..., EngineResult]


ENGINE_PHASES = _Phases(settlement_phase, order_phase)
NO_PHASES = _Phases(lambda _con, **_options: [], lambda _con, **_options: EngineResult([]))


def load_files_only(orders: Path, journal: Path, settlement: Path, merchants: Path | None, *,
                    card_key: bytes) -> dict[str, int]:
    """The loads of a reconcile run alone, in its order and memory (bench/reconcile.py times them)."""
    _, rows, _ = _reconcile_in(orders, journal, settlement, merchants, card_key, False, NO_PHASES)
    return rows


def _reconcile_in(orders: Path, journal: Path, settlement: Path, merchants: Path | None,
                  card_key: bytes, progress: bool, phases: _Phases = ENGINE_PHASES,
                  listener: StepListener | None = None) -> tuple[EngineResult, dict[str, int], list[str]]:
    """The engine's two phases, the settlement dropped before the orders are loaded: at most two of the
    three big inputs are in memory at any time."""
    with spilling_memory(MEMORY_LIMIT) as con:
        con.execute("SET preserve_insertion_order = false")  # findings are sorted on output; rows need no order
        with_merchants = merchants is not None
        total = step_count(with_merchants=with_merchants) + 3 + (1 if with_merchants else 0)
        paths: dict[str, Path | None] = {"orders": orders, "journal": journal, "settlement": settlement}
        inputs = _Inputs()
        with _progress(progress and listener is None, total) as shown:
            notify = listener or shown
            timezones = _load_registry(con, merchants, inputs, notify)
            _load_files(con, ("journal", "settlement"), paths, card_key, timezones, inputs, notify)
            first = phases.first(con, with_merchants=with_merchants, on_step=notify)
            _drop_input(con, "settlement")
            _narrow_journal(con)
            _load_files(con, ("orders",), paths, card_key, timezones, inputs, notify)
            result = phases.second(con, with_merchants=with_merchants, on_step=notify)
    rows, warnings = inputs.ordered()
    return EngineResult(first + result.findings, result.warnings), rows, warnings
