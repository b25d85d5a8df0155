"""Bad rows: every one reported with line, column and reason; nothing loaded; never a traceback."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from tests.support.files import write_lines

from recoup.errors import InvalidInput
from recoup.transactions.csv_input import MAX_REJECTS_KEPT, load_csv

ORDERS_HEADER = "order_no,merchant_id,terminal_id,created_at,expected_amount,currency"
GOOD_ORDER = "O-1,898584058121917,61067484,2026-10-12T12:00:00+08:00,128.00,CNY"
JOURNAL_HEADER = "merchant_id,terminal_id,txn_time,txn_type,status,amount,currency,rrn,stan,card,order_no,orig_rrn"
GOOD_LINE = "898584058121917,61067484,2026-10-12T08:04:52+08:00,SALE,APPROVED,10.00,CNY,405496114072,781461,,,"


def rejected(con: duckdb.DuckDBPyConnection, path: Path, kind: str, **options: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        load_csv(con, kind, path, **options)  # type: ignore[arg-type]
    tables = con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    assert tables == [], "a rejected file leaves nothing behind"
    return caught.value


@pytest.mark.parametrize(("row", "reason"), [
    ("O-1,898584058121917,61067484,2026-10-12T12:00:00+08:00,-5.00,CNY",
     "line 3, column expected_amount: negative amount '-5.00'"),
    ("O-1,898584058121917,61067484,2026-10-12T12:00:00+08:00,12.345,CNY",
     "line 3, column expected_amount: more decimals than CNY has: '12.345'"),
    ("O-1,898584058121917,61067484,2026-10-12T12:00:00+08:00,12.5,JPY",
     "line 3, column expected_amount: more decimals than JPY has: '12.5'"),
    ("O-1,898584058121917,61067484,2026-10-12T12:00:00+08:00,abc,CNY",
     "line 3, column expected_amount: not an amount: 'abc'"),
    ("O-1,898584058121917,61067484,2026-10-12T12:00:00+08:00,0.00,CNY",
     "line 3, column expected_amount: amount must be more than zero"),
    ("O-1,898584058121917,61067484,2026-10-12T12:00:00+08:00,1.00,XYZ",
     "line 3, column currency: unknown currency 'XYZ'"),
    ("O-1,898584058121917,61067484,2026-02-30T12:00:00+08:00,1.00,CNY",
     "line 3, column created_at: impossible date or time: '2026-02-30T12:00:00+08:00'"),
    ("O-1,898584058121917,61067484,yesterday,1.00,CNY",
     "line 3, column created_at: not an ISO 8601 date-time: 'yesterday'"),
    ("O-1,89858405812191,61067484,2026-10-12T12:00:00+08:00,1.00,CNY",
     "line 3, column merchant_id: must be 15 characters, not 14"),
    ("O-1,898584058121917,610674840,2026-10-12T12:00:00+08:00,1.00,CNY",
     "line 3, column terminal_id: must be 8 characters, not 9"),
    ("O-" + "9" * 70 + ",898584058121917,61067484,2026-10-12T12:00:00+08:00,1.00,CNY",
     "line 3, column order_no: too long (72 characters, at most 64)"),
    (",898584058121917,61067484,2026-10-12T12:00:00+08:00,1.00,CNY", "line 3, column order_no: missing value"),
    ("O-1,898584058121917,61067484,2026-10-12T12:00:00+08:00,1.00",
     "line 3, column currency: 5 fields where the header has 6"),
    ("O-0,898584058121917,61067484,2026-10-12T12:00:00+08:00,1.00,CNY,extra",
     "line 3, column *: 7 fields where the header has 6"),
])
def test_bad_order_rows(con: duckdb.DuckDBPyConnection, tmp_path: Path, row: str, reason: str) -> None:
    error = rejected(con, write_lines(tmp_path / "orders.csv", ORDERS_HEADER, GOOD_ORDER.replace("O-1", "O-0"), row),
                     "orders")
    assert reason in error.message
    assert error.message.startswith("orders.csv: 1 bad value(s), nothing loaded:")


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("rrn", "40549611407", "column rrn: must be 12 characters, not 11"),
    ("rrn", "", "column rrn: missing value"),
    ("stan", "78146", "column stan: must be 6 digits"),
    ("txn_type", "PAYMENT", "column txn_type: unknown transaction type 'PAYMENT'"),
    ("status", "OK", "column status: unknown status 'OK'"),
    ("card", "62170004729076506219999", "column card: neither a card number nor a masked card"),
])
def test_bad_journal_values(con: duckdb.DuckDBPyConnection, tmp_path: Path, field: str, value: str,
                            reason: str) -> None:
    columns = JOURNAL_HEADER.split(",")
    values = GOOD_LINE.split(",")
    values[columns.index(field)] = value
    error = rejected(con, write_lines(tmp_path / "journal.csv", JOURNAL_HEADER, ",".join(values)), "journal",
                     card_key=b"k")
    assert f"line 2, {reason}" in error.message
    assert "62170004729076506219999" not in error.message


def test_failed_line_may_lack_an_rrn(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    line = GOOD_LINE.replace("APPROVED", "FAILED").replace("405496114072", "")
    assert load_csv(con, "journal", write_lines(tmp_path / "journal.csv", JOURNAL_HEADER, line)).rows == 1


def test_full_card_number_needs_a_key(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    line = GOOD_LINE.replace(",781461,,", ",781461,6217000472907650621,")
    error = rejected(con, write_lines(tmp_path / "journal.csv", JOURNAL_HEADER, line), "journal")
    assert "column card: a full card number, and no card key to token it" in error.message
    assert "6217000472907650621" not in error.message


def test_every_bad_row_is_counted_and_the_first_are_listed(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    bad = [f"O-{i},898584058121917,61067484,2026-10-12T12:00:00+08:00,-1,CNY" for i in range(MAX_REJECTS_KEPT + 5)]
    error = rejected(con, write_lines(tmp_path / "orders.csv", ORDERS_HEADER, *bad), "orders")
    assert error.message.startswith(f"orders.csv: {MAX_REJECTS_KEPT + 5} bad value(s)")
    assert "line 2, column expected_amount" in error.message
    assert "... and 995 more" in error.message
    assert isinstance(error.detail, list)
    assert len(error.detail) == MAX_REJECTS_KEPT


def test_two_bad_columns_of_one_row_are_both_reported(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    row = "O-1,898584058121917,6106748,2026-10-12T12:00:00+08:00,-1,CNY"
    error = rejected(con, write_lines(tmp_path / "orders.csv", ORDERS_HEADER, row), "orders")
    assert "line 2, column terminal_id" in error.message
    assert "line 2, column expected_amount" in error.message


def test_repeated_order_number_of_one_merchant(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    error = rejected(con, write_lines(tmp_path / "orders.csv", ORDERS_HEADER, GOOD_ORDER, GOOD_ORDER), "orders")
    assert "line 3, column order_no: repeats line 2" in error.message


def test_lines_are_exact_when_loading_fast(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [GOOD_ORDER.replace("O-1", f"O-{i}") for i in range(3000)]
    rows[2500] = rows[2500].replace("128.00", "1x")
    error = rejected(con, write_lines(tmp_path / "orders.csv", ORDERS_HEADER, *rows), "orders", line_numbers=False)
    assert "line 2502, column expected_amount: not an amount: '1x'" in error.message


def test_missing_required_column(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "orders.csv", "order_no,merchant_id,created_at,currency", "O-1,898584058121917,x,CNY")
    error = rejected(con, path, "orders")
    assert error.message == "orders.csv: line 1: missing required column(s): expected_amount"


def test_empty_file(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(b"")
    assert rejected(con, path, "orders").message == "orders.csv: empty file (no header row)"


def test_report_without_raising_keeps_good_and_bad_rows_apart(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "orders.csv", ORDERS_HEADER, GOOD_ORDER, GOOD_ORDER.replace("O-1", "O-2").replace(
        "128.00", "-1"))
    result = load_csv(con, "orders", path, raise_on_reject=False)
    assert (result.rows, result.reject_count) == (2, 1)
    assert str(result.rejects[0]) == "line 3, column expected_amount: negative amount '-1'"
    assert con.execute("SELECT order_no FROM orders WHERE load_error IS NULL").fetchall() == [("O-1",)]
