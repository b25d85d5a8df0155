"""The reconciliation engine on Apache Spark (SPEC section 11): the same rules, run distributed.

The relations (journal, settlement, orders, merchants) are Parquet files with the columns of
relations.py; every SQL step and detector is the DuckDB text transpiled (spark_sql.py), run in the
engine's order. The two greedy rules that are not SQL — rule 2 linking and anchored duplicate groups
— run in Python on the executors, one group per merchant: every candidate pair they weigh shares
its merchant (the SQL joins on it), so grouping by merchant gives exactly the single-machine answer.
Findings come back to the driver (they are few) and are turned into `Finding`s by the same code as
the DuckDB engine's, so both engines write byte-identical findings files.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recoup.errors import RecoupError
from recoup.reconciliation import detectors, steps
from recoup.reconciliation.duplicates import SaleForDuplicates, find_duplicates
from recoup.reconciliation.engine import WORKING_TABLES, WORKING_VIEWS, StepListener, _finding
from recoup.reconciliation.findings import Finding
from recoup.reconciliation.linking import LinkCandidate, best_first_links
from recoup.reconciliation.relations import RELATION_COLUMNS
from recoup.reconciliation.spark_sql import for_spark, with_merchant_column

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

RELATIONS = ("merchants", "orders", "journal", "settlement")
PAIR_SCHEMA = {"rc_rule2": "sale_line BIGINT, order_line BIGINT, order_expected BIGINT",
               "rc_dups": "dup_line BIGINT, first_line BIGINT"}


class SparkUnavailable(RecoupError):
    status = 503


def _check_reachable(master: str) -> None:
    """A standalone master (spark://host:port[,host:port]) that nobody answers at: say so now, not after
    Spark's own minute of retries."""
    if not master.startswith("spark://"):
        return
    for address in master.removeprefix("spark://").split(","):
        host, _, port = address.rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=3):
                return
        except (OSError, ValueError):
            continue
    raise SparkUnavailable(f"cannot reach the Spark master {master}: nothing answers there; check --master")


def spark_session(master: str = "local[2]", app_name: str = "recoup-reconcile") -> SparkSession:
    """A Spark session on `master` (local[N], spark://host:port, yarn, k8s://...), UTC throughout."""
    _check_reachable(master)
    try:
        from pyspark.sql import SparkSession
    except ImportError as missing:
        raise SparkUnavailable("the Spark engine needs PySpark: pip install 'recoup[spark]'") from missing
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # local executors import recoup from this install
    local = master.startswith("local")
    try:
        session = (SparkSession.builder.master(master).appName(app_name)
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.sql.parquet.inferTimestampNTZ.enabled", "true")
                .config("spark.sql.shuffle.partitions", "2" if local else "200")
                .config("spark.default.parallelism", "2" if local else "200")
                # Adaptive execution runs each query stage as a job of its own and plans again between them:
                # on one machine, with two shuffle partitions already (nothing left to coalesce), it only adds
                # jobs. The samples on local[2]: about 390 jobs a run, 113 + 41 s for a first and a second
                # run with it, 52 + 33 s without (JVM CPU 224 -> 167 s). A cluster keeps it.
                .config("spark.sql.adaptive.enabled", "false" if local else "true")
                .config("spark.ui.enabled", "false")
                # Steps are cached views, never managed tables: the (empty) warehouse folder Spark makes at
                # start goes to the temporary folder, not the directory the command was started from.
                .config("spark.sql.warehouse.dir", str(Path(tempfile.gettempdir()) / "recoup-spark-warehouse"))
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.ansi.enabled", "false")
                .getOrCreate())
        session.sparkContext.setLogLevel("ERROR")
        return session
    except Exception as failed:  # Py4J and the JVM raise their own types: the user needs the reason
        raise SparkUnavailable(f"could not start Spark on {master}: {str(failed).splitlines()[0][:300]}") \
            from failed


def _run(spark: SparkSession, sql: str) -> None:
    for statement in for_spark(sql).statements():
        spark.sql(statement)


def _rows(spark: SparkSession, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in spark.sql(for_spark(sql).query).collect()]


def _detect(spark: SparkSession, queries: Iterable[tuple[str, str]], notify: StepListener) -> list[Finding]:
    found: list[Finding] = []
    for label, query in queries:
        notify(label)
        found += (_finding(row) for row in _rows(spark, query))
    return found


def link_group(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[int, int, int]]:
    """Rule 2 over one merchant's candidates (runs on an executor)."""
    candidates = [LinkCandidate(*row) for row in rows]
    expected = {candidate.order_line: candidate.order_minor for candidate in candidates}
    for sale, order in best_first_links(candidates):
        yield sale, order, expected[order]


def duplicate_group(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[int, int]]:
    """Anchored duplicate groups over one merchant's repeated sales (runs on an executor)."""
    yield from find_duplicates(SaleForDuplicates(*row) for row in rows)


def _grouped(spark: SparkSession, candidates_sql: str, merchant: str, table: str, per_group: Any) -> None:
    """Run a greedy rule per merchant on the executors and expose its pairs as the view `table`."""
    query = for_spark(with_merchant_column(candidates_sql, merchant)).query
    keyed = spark.sql(query).rdd.map(lambda row: (row[-1], tuple(row[:-1])))
    pairs = keyed.groupByKey().flatMap(lambda group: per_group(group[1]))
    spark.createDataFrame(pairs, PAIR_SCHEMA[table]).createOrReplaceTempView(table)
    spark.sql(f"CACHE LAZY TABLE {table}")


def load_relations(spark: SparkSession, parquet: dict[str, str]) -> None:
    """The relations as temporary views, from Parquet files or folders (local paths or cluster URLs);
    no merchants file is an empty registry."""
    for relation in RELATIONS:
        if relation in parquet:
            spark.read.parquet(parquet[relation]).createOrReplaceTempView(relation)
            continue
        schema = ", ".join(f"{name} {'STRING' if kind == 'VARCHAR' else kind}"
                           for name, kind in RELATION_COLUMNS[relation])
        spark.createDataFrame([], schema).createOrReplaceTempView(relation)


def _drop_working(spark: SparkSession) -> None:
    for name in (*WORKING_TABLES, *WORKING_VIEWS):  # the DuckDB engine's working relations, the same names
        spark.catalog.dropTempView(name)


def reconcile_on_spark(spark: SparkSession, parquet: dict[str, str], *, with_merchants: bool,
                       on_step: StepListener | None = None,
                       before_drop: Callable[[], None] | None = None) -> list[Finding]:
    """Every SPEC section 4 finding over the Parquet relations, computed by `spark`; `before_drop` runs
    while the working views still exist (the source warnings read them)."""
    notify: StepListener = on_step or (lambda _label: None)
    _drop_working(spark)
    load_relations(spark, parquet)
    for label, sql in steps.SETTLEMENT_STEPS:
        notify(label)
        _run(spark, sql)
    notify("failed sales the settlement cleared")
    _run(spark, detectors.DEBITED_BUT_FAILED_TABLE)
    queries = list(detectors.SETTLEMENT_DETECTORS) + ([detectors.MCC_DETECTOR] if with_merchants else [])
    findings = _detect(spark, queries, notify)
    for label, sql in steps.ORDER_STEPS:
        notify(label)
        _run(spark, sql)
    notify("linking sales to orders")
    _grouped(spark, steps.LINK_CANDIDATES, "s.merchant_id", "rc_rule2", link_group)
    _run(spark, steps.LINKED_SALES)
    notify("duplicate charges")
    _grouped(spark, steps.DUPLICATE_CANDIDATES, "j.merchant_id", "rc_dups", duplicate_group)
    _run(spark, steps.PAYMENTS)
    _run(spark, steps.ORDER_GAPS)
    findings += _detect(spark, detectors.ORDER_DETECTORS, notify)
    if before_drop is not None:
        notify("checking the sources agree")
        before_drop()
    _drop_working(spark)
    return findings


def parquet_paths(folder: Path) -> dict[str, str]:
    return {relation: str(folder / f"{relation}.parquet") for relation in RELATIONS}
