"""The engine's SQL stays portable: sqlglot transpiles every step and detector to Spark SQL, nothing unsupported."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from recoup.reconciliation import detectors, steps

STATEMENTS = {
    **{f"step: {label}": sql for label, sql in (*steps.SETTLEMENT_STEPS, *steps.ORDER_STEPS)},
    **{f"detector: {label}": sql for label, sql in (*detectors.SETTLEMENT_DETECTORS, *detectors.ORDER_DETECTORS,
                                                     detectors.MCC_DETECTOR)},
    "link candidates": steps.LINK_CANDIDATES, "linked sales": steps.LINKED_SALES,
    "duplicate candidates": steps.DUPLICATE_CANDIDATES, "payments": steps.PAYMENTS, "order gaps": steps.ORDER_GAPS,
    "debited but failed": detectors.DEBITED_BUT_FAILED_TABLE,
}


# Functions sqlglot does not know but Spark SQL has: hash() (the engine only compares hashes within one run,
# then checks the values themselves, so another engine's hash function serves as well).
KNOWN_ELSEWHERE = {"hash"}


def test_the_engine_has_statements_to_check() -> None:
    assert len(STATEMENTS) >= 25


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_statement_transpiles_to_spark(name: str) -> None:
    spark = sqlglot.transpile(STATEMENTS[name], read="duckdb", write="spark", unsupported_level=ErrorLevel.RAISE)
    assert spark
    assert all(statement.strip() for statement in spark)


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_statement_uses_no_engine_specific_function(name: str) -> None:
    unknown = {function.name.lower() for tree in sqlglot.parse(STATEMENTS[name], read="duckdb") if tree
               for function in tree.find_all(exp.Anonymous)}
    assert unknown <= KNOWN_ELSEWHERE
