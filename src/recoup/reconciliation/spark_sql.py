"""The engine's SQL for Apache Spark: the same statements as steps.py and detectors.py, transpiled.

The rule definitions are written once, in the standard SQL steps.py describes, for DuckDB; sqlglot
transpiles each to Spark SQL. Transpiling the text (rather than keeping a second expression tree, as
Ibis would) keeps one reviewed definition of every rule and lets a reader diff what Spark runs
against what DuckDB runs (`python -m recoup.reconciliation.spark_sql` prints it). Statements that
create working relations become cached temporary views, Spark's equivalent of DuckDB's in-memory
tables. Pure: no Spark import here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import sqlglot
from sqlglot import exp

_CREATE = re.compile(r"^\s*CREATE\s+(TABLE|VIEW)\s+(\w+)\s+AS\s+(.*)$", re.S | re.I)


@dataclass(frozen=True)
class SparkStatement:
    """One statement for Spark: `query` creates the temporary view `name` (or, name empty, is a query)."""

    name: str
    query: str
    cached: bool  # a DuckDB table: computed once and kept (a view is recomputed where read)

    def statements(self) -> list[str]:
        if not self.name:
            return [self.query]
        if self.cached:
            return [f"CACHE LAZY TABLE {self.name} AS {self.query}"]
        return [f"CREATE OR REPLACE TEMPORARY VIEW {self.name} AS {self.query}"]


def _epoch_seconds(node: exp.Expression) -> exp.Expression:
    """EXTRACT(EPOCH FROM t), which Spark lacks, as seconds from microseconds (times are UTC wall times)."""
    if isinstance(node, exp.Extract) and node.this.name.upper() == "EPOCH":
        micros = exp.func("UNIX_MICROS", exp.cast(node.expression, "TIMESTAMP"))
        return exp.Div(this=exp.cast(micros, "DOUBLE"), expression=exp.Literal.number(1000000))
    return node


@lru_cache(maxsize=256)
def query_for_spark(duckdb_sql: str) -> str:
    """One DuckDB SELECT as Spark SQL."""
    tree = sqlglot.parse_one(duckdb_sql, read="duckdb").transform(_epoch_seconds)
    return tree.sql(dialect="spark")


def for_spark(duckdb_sql: str) -> SparkStatement:
    """A step (CREATE TABLE/VIEW name AS query) or a detector query, for Spark."""
    created = _CREATE.match(duckdb_sql)
    if created is None:
        return SparkStatement("", query_for_spark(duckdb_sql), cached=False)
    kind, name, query = created.groups()
    return SparkStatement(name, query_for_spark(query), cached=kind.upper() == "TABLE")


def with_merchant_column(duckdb_sql: str, column: str) -> str:
    """A candidate query with one more output column, last (the key the greedy rules are grouped by)."""
    tree = sqlglot.parse_one(duckdb_sql, read="duckdb")
    if not isinstance(tree, exp.Select):
        raise TypeError("a candidate query is one SELECT")
    return tree.select(column, copy=True).sql(dialect="duckdb")


if __name__ == "__main__":  # pragma: no cover - a reader's tool
    from recoup.reconciliation import detectors, steps

    for label, sql in [*steps.SETTLEMENT_STEPS, *steps.ORDER_STEPS, *detectors.SETTLEMENT_DETECTORS,
                       *detectors.ORDER_DETECTORS]:
        print(f"-- {label}")  # noqa: T201
        for statement in for_spark(sql).statements():
            print(statement + ";\n")  # noqa: T201
