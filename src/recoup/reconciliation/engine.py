"""The reconciliation engine: relations in (orders, journal, settlement, merchants), findings out.

SQL does the bulk work over the relations in a DuckDB connection; the two order-dependent greedy
rules (rule 2 linking and anchored duplicate groups) run in Python over the few candidates SQL
hands them. Nothing here knows where the relations came from. The work comes in two phases, the
first reading the settlement and the second the orders, so that a caller short of memory need not
hold both (service.py); reconcile_relations runs both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from recoup.reconciliation import detectors, steps
from recoup.reconciliation.causes import classify
from recoup.reconciliation.duplicates import SaleForDuplicates, find_duplicates
from recoup.reconciliation.findings import REASON_CODES, Finding, Kind
from recoup.reconciliation.linking import greedy_links
from recoup.reconciliation.sources import source_warnings
from recoup.transactions.duck import scalar

StepListener = Callable[[str], None]
WORKING_TABLES = ("rc_undoing", "rc_refs", "rc_journal_days", "rc_sale_orders", "rc_js", "rc_stan_pairs",
                  "rc_unsettled", "rc_settled_days", "rc_ordered_days", "rc_free_orders", "rc_rule2", "rc_dups",
                  "rc_order_gaps", "rc_debited_but_failed")
WORKING_VIEWS = ("rc_payments", "rc_linked", "rc_sales")
# Journal columns only the settlement phase reads (STAN pairs, the sales voids and refunds name): a caller short of
# memory may drop them before the order phase (service.py), which reads neither.
SETTLEMENT_PHASE_JOURNAL_COLUMNS = ("stan", "orig_rrn")


@dataclass
class EngineResult:
    findings: list[Finding]
    warnings: list[str] = field(default_factory=list)


def step_count(*, with_merchants: bool) -> int:
    """How many times the engine calls its step listener (for progress bars)."""
    return (len(steps.SETTLEMENT_STEPS) + len(steps.ORDER_STEPS) + 5 + len(detectors.SETTLEMENT_DETECTORS)
            + len(detectors.ORDER_DETECTORS) + (1 if with_merchants else 0))


def _drop_working(con: duckdb.DuckDBPyConnection) -> None:
    for view in WORKING_VIEWS:
        con.execute(f"DROP VIEW IF EXISTS {view}")
    for table in WORKING_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {table}")


# Steps whose big hash join should build on the side the SQL names second (the orders of SALE_ORDERS:
# four narrow columns), not on the side DuckDB estimates smaller (the sales, whose type filter it
# guesses keeps a fifth of the journal, when nearly every line is a sale: eight columns to hold). At 10
# million lines that join then fits in memory instead of spilling (bench/reconcile.py, issue 15).
BUILD_AS_WRITTEN = frozenset({steps.SALE_ORDERS})


def _run_step(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    if sql not in BUILD_AS_WRITTEN:
        con.execute(sql)
        return
    before = scalar(con, "SELECT current_setting('disabled_optimizers')") or ""
    con.execute("SET disabled_optimizers = 'build_side_probe_side'")
    try:
        con.execute(sql)
    finally:
        con.execute(f"SET disabled_optimizers = '{before}'")


def _insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[tuple[int, ...]]) -> None:
    """Insert rows of BIGINTs (Python ints), passed as one text of comma-separated lines that DuckDB splits:
    a fourth of the CPU of handing it one list per column, which it converts value by value."""
    if rows:
        width = len(rows[0])
        text = "\n".join(",".join(map(str, row)) for row in rows)
        values = ", ".join(f"CAST(v[{position}] AS BIGINT)" for position in range(1, width + 1))
        con.execute(f"INSERT INTO {table} SELECT {values} "
                    "FROM (SELECT string_split(unnest(string_split(?, chr(10))), ',') AS v)", [text])


# Rule 2 candidates (columns as steps.LINK_CANDIDATES) in the order linking.best_first_links ranks them:
# equal amounts first, then nearest in time, RRN, order number, times, amounts. DuckDB sorts them so that
# Python only walks them once; the distance is in whole microseconds, as exact as Python's timedelta.
LINK_COLUMNS = "sale_line, order_line, sale_minor, order_minor, sale_time, order_time, rrn, order_no"
LINK_RANK = ("CASE WHEN sale_minor = order_minor THEN 0 ELSE 1 END, abs(epoch_us(sale_time) - epoch_us(order_time)), "
             "coalesce(rrn, ''), order_no, sale_time, order_time, sale_minor, order_minor")
LINK_CANDIDATES_RANKED = f"""
SELECT sale_line, order_line, sale_minor, order_minor
FROM ({steps.LINK_CANDIDATES}) candidates({LINK_COLUMNS})
ORDER BY {LINK_RANK}
"""


def _link_rule_two(con: duckdb.DuckDBPyConnection) -> int:
    links = greedy_links(con.execute(LINK_CANDIDATES_RANKED).fetchall())
    con.execute(steps.RULE2_TABLE)
    _insert_rows(con, "rc_rule2", links)
    return len(links)


def _mark_duplicates(con: duckdb.DuckDBPyConnection) -> int:
    rows = con.execute(steps.DUPLICATE_CANDIDATES).fetchall()
    duplicates = find_duplicates(SaleForDuplicates(*row) for row in rows)
    con.execute(steps.DUPLICATES_TABLE)
    _insert_rows(con, "rc_dups", duplicates)
    return len(duplicates)


def _finding(row: Sequence[Any]) -> Finding:
    """A Finding from a row of detectors.FINDING_COLUMNS (by position: built once per finding)."""
    (kind_code, merchant_id, terminal_id, rrn, related_rrn, order_no, charged_minor, expected_minor, currency,
     event_time, other_time, note, payment_count) = row
    kind = Kind(kind_code)
    cause = classify(charged_minor, expected_minor) if kind in (Kind.OVERCHARGE, Kind.UNDERCHARGE) else None
    return Finding(kind=kind, merchant_id=merchant_id, terminal_id=terminal_id, rrn=rrn, related_rrn=related_rrn,
                   order_no=order_no, charged_minor=charged_minor, expected_minor=expected_minor, currency=currency,
                   cause=cause, event_time=event_time, other_time=other_time, note=note,
                   payment_count=payment_count, reason_codes=REASON_CODES.get(kind, ()))


def _detect(con: duckdb.DuckDBPyConnection, queries: Iterable[tuple[str, str]],
            on_step: StepListener) -> list[Finding]:
    found: list[Finding] = []
    for label, query in queries:
        on_step(label)
        found += (_finding(row) for row in con.execute(query).fetchall())
    return found


def settlement_phase(con: duckdb.DuckDBPyConnection, *, with_merchants: bool,
                     on_step: StepListener | None = None) -> list[Finding]:
    """The findings of journal against settlement (and the merchant registry). Reads the relations
    journal, settlement and merchants; leaves the working tables order_phase needs, none of which
    reads the settlement: a caller may drop it before loading the orders."""
    notify: StepListener = on_step or (lambda _label: None)
    _drop_working(con)
    for label, sql in steps.SETTLEMENT_STEPS:
        notify(label)
        con.execute(sql)
    notify("failed sales the settlement cleared")
    con.execute(detectors.DEBITED_BUT_FAILED_TABLE)
    queries = list(detectors.SETTLEMENT_DETECTORS) + ([detectors.MCC_DETECTOR] if with_merchants else [])
    return _detect(con, queries, notify)


def order_phase(con: duckdb.DuckDBPyConnection, *, with_merchants: bool,
                on_step: StepListener | None = None) -> EngineResult:
    """The findings of sales against orders, after settlement_phase. Reads the relations journal,
    orders (and merchants, for warnings) and the first phase's working tables."""
    notify: StepListener = on_step or (lambda _label: None)
    for label, sql in steps.ORDER_STEPS:
        notify(label)
        _run_step(con, sql)
    notify("linking sales to orders")
    _link_rule_two(con)
    con.execute(steps.LINKED_SALES)
    notify("duplicate charges")
    _mark_duplicates(con)
    notify("payments")
    con.execute(steps.PAYMENTS)
    con.execute(steps.ORDER_GAPS)
    findings = _detect(con, detectors.ORDER_DETECTORS, notify)
    notify("checking the sources agree")
    return EngineResult(findings, source_warnings(con, with_merchants=with_merchants))


def reconcile_relations(con: duckdb.DuckDBPyConnection, *, with_merchants: bool,
                        on_step: StepListener | None = None) -> EngineResult:
    """Every SPEC section 4 finding over the relations orders, journal, settlement (and merchants)."""
    first = settlement_phase(con, with_merchants=with_merchants, on_step=on_step)
    result = order_phase(con, with_merchants=with_merchants, on_step=on_step)
    return EngineResult(first + result.findings, result.warnings)
