"""The CSV reader: typed relations, aliases, time zones, cards masked and tokened at the door."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.files import write_lines
from tests.support.journals import JOURNAL_HEADER

from recoup.errors import InvalidInput
from recoup.money import format_major
from recoup.transactions.cards import card_token
from recoup.transactions.csv_input import load_csv

KEY = b"reader-key"
PAN = "6217000472907650621"


def journal_row(**values: str) -> str:
    row = {"merchant_id": "898584058121917", "terminal_id": "61067484", "txn_time": "2026-10-12T08:04:52+08:00",
           "txn_type": "SALE", "status": "APPROVED", "amount": "357.50", "currency": "CNY", "rrn": "405496114072",
           "stan": "781461", "auth_code": "859974", "card": PAN, "order_no": "NO1", "cashier_id": "003",
           "orig_rrn": "", "batch_no": "000143"} | values
    return ",".join(row[column] for column in JOURNAL_HEADER.split(","))


def test_journal_becomes_typed_rows(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "journal.csv", JOURNAL_HEADER, journal_row())
    result = load_csv(con, "journal", path, card_key=KEY)
    assert (result.rows, result.reject_count, result.encoding) == (1, 0, "utf-8")
    row = con.execute("SELECT line_no, txn_time, local_date, amount_minor, card_masked, card_token, orig_rrn "
                      "FROM journal").fetchall()[0]
    assert row == (2, datetime(2026, 10, 12, 0, 4, 52), date(2026, 10, 12), 35750, "621700*********0621",
                   card_token(PAN, KEY), None)


def test_full_card_number_is_nowhere_in_the_relation(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "journal.csv", JOURNAL_HEADER, journal_row(), journal_row(rrn="405496114073"))
    load_csv(con, "journal", path, card_key=KEY)
    columns = [name for (name,) in con.execute("SELECT column_name FROM (DESCRIBE journal)").fetchall()]
    joined = " || ".join(f"coalesce(CAST({column} AS VARCHAR), '')" for column in columns)
    everything = con.execute(f"SELECT {joined} FROM journal").fetchall()
    assert all(PAN not in text for (text,) in everything)


def test_masked_card_has_no_token(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "journal.csv", JOURNAL_HEADER, journal_row(card="622848******1234"))
    load_csv(con, "journal", path, card_key=KEY)
    assert con.execute("SELECT card_masked, card_token FROM journal").fetchall() == [("622848******1234", None)]


def test_chinese_aliases_and_any_case(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [journal_row(txn_type=t, status=s, rrn=f"40549611407{i}")
            for i, (t, s) in enumerate([("消费", "成功"), ("撤销", "拒绝"), ("退货", "失败"), ("冲正", "超时"),
                                        ("预授权", "approved"), ("预授权完成", "Declined"), ("refund", "timeout")])]
    load_csv(con, "journal", write_lines(tmp_path / "journal.csv", JOURNAL_HEADER, *rows), card_key=KEY)
    assert con.execute("SELECT txn_type, status FROM journal ORDER BY rrn").fetchall() == [
        ("SALE", "APPROVED"), ("VOID", "DECLINED"), ("REFUND", "FAILED"), ("REVERSAL", "TIMEOUT"),
        ("PREAUTH", "APPROVED"), ("PREAUTH_COMPLETE", "DECLINED"), ("REFUND", "TIMEOUT")]


def test_times_without_offset_are_merchant_local(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [journal_row(txn_time="2026-10-12 23:30:00", rrn="000000000001"),
            journal_row(txn_time="2026-10-12T23:30:00", rrn="000000000002", merchant_id="898584058121999"),
            journal_row(txn_time="2026-07-01T23:30:00", rrn="000000000003", merchant_id="898584058121888"),
            journal_row(txn_time="2026-10-12T15:30:00Z", rrn="000000000004")]
    zones = {"898584058121999": "Asia/Tokyo", "898584058121888": "America/New_York"}
    path = write_lines(tmp_path / "journal.csv", JOURNAL_HEADER, *rows)
    load_csv(con, "journal", path, card_key=KEY, timezones=zones)
    assert con.execute("SELECT txn_time, local_date FROM journal ORDER BY rrn").fetchall() == [
        (datetime(2026, 10, 12, 15, 30), date(2026, 10, 12)),  # Shanghai, the default
        (datetime(2026, 10, 12, 14, 30), date(2026, 10, 12)),  # Tokyo
        (datetime(2026, 7, 2, 3, 30), date(2026, 7, 1)),  # New York, summer time
        (datetime(2026, 10, 12, 15, 30), date(2026, 10, 12)),  # UTC given: 23:30 in Shanghai
    ]


def test_column_order_is_free_and_unknown_columns_are_kept_aside(con: duckdb.DuckDBPyConnection,
                                                                  tmp_path: Path) -> None:
    path = write_lines(tmp_path / "orders.csv", "备注,currency,expected_amount,created_at,merchant_id,order_no",
                 "午餐,cny,1280,2026-10-12T12:00:00+08:00,898584058121917,O-1")
    result = load_csv(con, "orders", path)
    assert result.extra_columns == {"备注": "extra_0"}
    assert any("备注" in warning for warning in result.warnings)
    assert con.execute("SELECT order_no, expected_minor, currency, terminal_id, extra_0 FROM orders").fetchall() == [
        ("O-1", 128000, "CNY", None, "午餐")]


def test_amount_forms(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    header = "order_no,merchant_id,created_at,expected_amount,currency"
    rows = [f'O-{i},898584058121917,2026-10-12T12:00:00+08:00,"{amount}",{currency}'
            for i, (amount, currency) in enumerate([("1,280.00", "CNY"), ("12.340", "CNY"), ("+5", "USD"),
                                                    ("1280", "JPY"), ("0.5", "156")])]
    load_csv(con, "orders", write_lines(tmp_path / "orders.csv", header, *rows))
    assert con.execute("SELECT expected_minor, currency FROM orders ORDER BY order_no").fetchall() == [
        (128000, "CNY"), (1234, "CNY"), (500, "USD"), (1280, "JPY"), (50, "CNY")]


def test_settlement_fee_and_net_are_checked_for_consistency(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    header = "settle_date,merchant_id,mcc,terminal_id,txn_time,txn_type,rrn,amount,fee,net_amount,currency"
    row = "2026-10-13,898584058121917,5812,61067484,2026-10-12T10:00:00+08:00,SALE,000000000001,100.00,0.60,99.00,CNY"
    result = load_csv(con, "settlement", write_lines(tmp_path / "settlement.csv", header, row))
    assert any("net_amount is not amount - fee" in warning for warning in result.warnings)


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=10**14), st.sampled_from(["CNY", "JPY", "USD"]))
def test_amounts_survive_the_round_trip(tmp_path_factory: pytest.TempPathFactory, minor: int, currency: str) -> None:
    path = tmp_path_factory.mktemp("amounts") / "orders.csv"
    write_lines(path, "order_no,merchant_id,created_at,expected_amount,currency",
          f"O-1,898584058121917,2026-10-12T12:00:00+08:00,{format_major(minor, currency)},{currency}")
    connection = duckdb.connect()
    try:
        load_csv(connection, "orders", path)
        assert connection.execute("SELECT expected_minor FROM orders").fetchall() == [(minor,)]
    finally:
        connection.close()


def test_a_card_number_typed_in_the_wrong_column_is_masked_in_the_reason(con: duckdb.DuckDBPyConnection,
                                                                         tmp_path: Path) -> None:
    path = write_lines(tmp_path / "journal.csv", JOURNAL_HEADER, journal_row(),
                       journal_row(rrn="405496114073", amount=PAN, txn_time=PAN),
                       journal_row(rrn="405496114074", currency="CNYX"))
    with pytest.raises(InvalidInput) as refused:
        load_csv(con, "journal", path, card_key=KEY)
    said = refused.value.message
    assert "line 3, column amount: amount too large: '621700*********0621'" in said
    assert "line 3, column txn_time: not an ISO 8601 date-time: '621700*********0621'" in said
    assert "line 4, column currency: unknown currency 'CNYX'" in said
    assert PAN not in said
