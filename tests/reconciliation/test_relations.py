"""Relations in, findings out: the engine runs on the DDL relations whoever fills them."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from recon_cases import Case, write_csv

from recoup.reconciliation.engine import reconcile_relations
from recoup.reconciliation.findings import Kind
from recoup.reconciliation.relations import RELATION_COLUMNS, create_table_sql, fits_relation
from recoup.reconciliation.service import _load_inputs


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    yield connection
    connection.close()


def test_loaded_files_have_exactly_the_relation_columns(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    case = Case(merchants=[{"merchant_id": "898584058121917", "name": "x", "mcc": "5812", "timezone": "",
                            "tenant": ""}])
    case.paid("O-1", "000000000001", "10.00", "10:00")
    paths = {name: write_csv(tmp_path / f"{name}.csv", tuple(rows[0]), rows)
             for name, rows in (("orders", case.orders), ("journal", case.journal),
                                ("settlement", case.settlement), ("merchants", case.merchants or []))}
    _load_inputs(con, dict(paths), b"key", lambda _label: None)
    for relation, columns in RELATION_COLUMNS.items():
        described = con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {relation})").fetchall()
        assert [name for name, _ in described] == [name for name, _ in columns], relation
        for (name, found), (_, declared) in zip(described, columns, strict=True):
            assert fits_relation(relation, name, found), (relation, name, found, declared)


def test_engine_on_relations_filled_by_sql(con: duckdb.DuckDBPyConnection) -> None:
    for relation in RELATION_COLUMNS:
        con.execute(create_table_sql(relation))
    day, at = date(2026, 10, 12), datetime(2026, 10, 12, 2, 0)
    con.execute("INSERT INTO orders (line_no, order_no, merchant_id, created_at, local_date, expected_minor, currency) "
                "VALUES (1, 'O-1', 'M', ?, ?, 12800, 'CNY')", [at, day])
    con.execute("INSERT INTO journal (line_no, merchant_id, terminal_id, txn_time, local_date, txn_type, status, "
                "amount_minor, currency, rrn, card_masked, order_no) "
                "VALUES (1, 'M', 'T', ?, ?, 'SALE', 'APPROVED', 128000, 'CNY', 'R1', '621700*********0621', 'O-1')",
                [at, day])
    con.execute("INSERT INTO settlement (line_no, merchant_id, terminal_id, txn_time, local_date, txn_type, rrn, "
                "amount_minor, currency, mcc) VALUES (1, 'M', 'T', ?, ?, 'SALE', 'R1', 128000, 'CNY', '5812')",
                [at, day])
    result = reconcile_relations(con, with_merchants=False)
    assert [(f.kind, f.rrn, f.cause and f.cause.value) for f in result.findings] == [
        (Kind.OVERCHARGE, "R1", "EXTRA_DIGIT")]
