"""SPEC 3: "Amounts are decimal strings in major units ("128.00"); internally every amount is an integer in
minor units with an ISO 4217 currency; a float never touches money. Times are ISO 8601; a time without an
offset is local time of the merchant (default Asia/Shanghai). Chinese aliases in enumerations are accepted."

Each value is read by the cheap strict pass and by the lenient pass: both must give the same row, or the
same refusal naming line and column.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from recoup.errors import InvalidInput
from recoup.transactions import csv_passes
from recoup.transactions.csv_input import load_csv

KEY = b"audit-key"
MERCHANT, TERMINAL = "898301054111439", "61027889"
TOKYO, LONDON = "898301054111440", "898301054111441"
ZONES = {TOKYO: "Asia/Tokyo", LONDON: "Europe/London"}
HEADER = ("merchant_id,terminal_id,txn_time,txn_type,status,amount,currency,rrn,stan,auth_code,card,order_no,"
          "cashier_id,orig_rrn,batch_no")


def journal_line(amount: str = "128.00", *, at: str = "2026-10-12T10:00:00+08:00", currency: str = "CNY",
                 txn_type: str = "SALE", status: str = "APPROVED", card: str = "622848******1234",
                 merchant: str = MERCHANT) -> str:
    return (f"{merchant},{TERMINAL},{at},{txn_type},{status},{amount},{currency},000000000001,000001,123456,"
            f"{card},NO1,001,,1")


def read(con: duckdb.DuckDBPyConnection, path: Path, monkeypatch: pytest.MonkeyPatch, *, strict: bool,
         columns: str) -> list[tuple[Any, ...]] | str:
    """The chosen columns of every row, or the refusal, with the strict pass allowed or not."""
    real = csv_passes.strict_pass
    monkeypatch.setattr(csv_passes, "strict_pass", real if strict else (lambda *_a, **_k: False))
    table = "strict" if strict else "lenient"
    try:
        result = load_csv(con, "journal", path, table=table, card_key=KEY, timezones=ZONES)
    except InvalidInput as refused:
        return str(refused).split("\n", 1)[1].strip()
    finally:
        monkeypatch.setattr(csv_passes, "strict_pass", real)
    return con.execute(f"SELECT {columns} FROM {result.table} ORDER BY line_no").fetchall()


def read_both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str,
                   columns: str) -> list[tuple[Any, ...]] | str:
    path = tmp_path / "journal.csv"
    path.write_text(f"{HEADER}\n{line}\n", encoding="utf-8")
    con = duckdb.connect()
    try:
        strict = read(con, path, monkeypatch, strict=True, columns=columns)
        lenient = read(con, path, monkeypatch, strict=False, columns=columns)
    finally:
        con.close()
    assert strict == lenient
    return strict


@pytest.mark.parametrize(("amount", "currency", "minor"), [
    ("128.00", "CNY", 12800), ('"1,280.00"', "CNY", 128000), ("128", "CNY", 12800), ("128.5", "CNY", 12850),
    ("0128.00", "CNY", 12800), (" 128.00 ", "CNY", 12800), ("128.00 ", "CNY", 12800), ("+128.00", "CNY", 12800),
    ("128.000", "CNY", 12800), ('"1,280,000.05"', "CNY", 128000005), ("1280", "JPY", 1280),
    ("1280.00", "JPY", 1280), ('"1,280"', "JPY", 1280), ("128.00", "156", 12800), ("1280", "392", 1280),
    ("128.00", "cny", 12800), ("0.01", "CNY", 1),
])
def test_an_amount_becomes_exact_minor_units(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, amount: str,
                                             currency: str, minor: int) -> None:
    rows = read_both_ways(tmp_path, monkeypatch, journal_line(amount, currency=currency), "amount_minor, currency")
    assert rows == [(minor, {"156": "CNY", "392": "JPY", "cny": "CNY"}.get(currency, currency))]


@pytest.mark.parametrize(("amount", "currency", "reason"), [
    ("-128.00", "CNY", "negative amount '-128.00'"),
    ("0.00", "CNY", "amount must be more than zero"),
    ("12O.00", "CNY", "not an amount: '12O.00'"),
    ("12.345", "CNY", "more decimals than CNY has: '12.345'"),
    ("1280.5", "JPY", "more decimals than JPY has: '1280.5'"),
    ('"128,00"', "CNY", "a comma that is not a thousands separator: '128,00'"),  # never 12800.00
    ('"1,28.00"', "CNY", "a comma that is not a thousands separator: '1,28.00'"),
    ("++128.00", "CNY", "not an amount: '++128.00'"),
    ("1e2", "CNY", "not an amount: '1e2'"),
    ("128.00", "XYZ", "line 2, column currency: unknown currency 'XYZ'"),
    ("128.00", "999", "line 2, column currency: unknown currency '999'"),
])
def test_a_bad_amount_is_refused_naming_line_and_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        amount: str, currency: str, reason: str) -> None:
    refusal = read_both_ways(tmp_path, monkeypatch, journal_line(amount, currency=currency), "amount_minor")
    assert isinstance(refusal, str)
    assert reason in refusal
    assert refusal.startswith("line 2, column ")


@pytest.mark.parametrize(("written", "merchant", "utc", "local_day"), [
    ("2026-10-12T10:00:00+08:00", MERCHANT, datetime(2026, 10, 12, 2), date(2026, 10, 12)),
    ("2026-10-12T10:00:00", MERCHANT, datetime(2026, 10, 12, 2), date(2026, 10, 12)),
    ("2026-10-12 10:00:00", MERCHANT, datetime(2026, 10, 12, 2), date(2026, 10, 12)),
    ("2026-10-12T10:00", MERCHANT, datetime(2026, 10, 12, 2), date(2026, 10, 12)),
    ("2026-10-12T10:00:00Z", MERCHANT, datetime(2026, 10, 12, 10), date(2026, 10, 12)),
    ("2026-10-12T20:00:00Z", MERCHANT, datetime(2026, 10, 12, 20), date(2026, 10, 13)),
    ("2026-10-12T10:00:00+0800", MERCHANT, datetime(2026, 10, 12, 2), date(2026, 10, 12)),
    ("2026-10-12T10:00:00+08", MERCHANT, datetime(2026, 10, 12, 2), date(2026, 10, 12)),
    ("2026-10-12T10:00:00-05:00", MERCHANT, datetime(2026, 10, 12, 15), date(2026, 10, 12)),
    ("2026-10-12T10:00:00.250", MERCHANT, datetime(2026, 10, 12, 2, 0, 0, 250000), date(2026, 10, 12)),
    ("2026-10-12T10:00:00.250+08:00", MERCHANT, datetime(2026, 10, 12, 2, 0, 0, 250000), date(2026, 10, 12)),
    ("2026-10-12T10:00:00", TOKYO, datetime(2026, 10, 12, 1), date(2026, 10, 12)),
    ("2026-10-12T08:30:00", TOKYO, datetime(2026, 10, 11, 23, 30), date(2026, 10, 12)),
    ("2026-07-12T10:00:00", LONDON, datetime(2026, 7, 12, 9), date(2026, 7, 12)),  # summer time
    ("2026-12-12T10:00:00", LONDON, datetime(2026, 12, 12, 10), date(2026, 12, 12)),  # winter time
    ("2026-07-12T23:30:00Z", LONDON, datetime(2026, 7, 12, 23, 30), date(2026, 7, 13)),
])
def test_a_time_is_an_instant_and_a_merchant_local_day(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, written: str,
                                                      merchant: str, utc: datetime, local_day: date) -> None:
    rows = read_both_ways(tmp_path, monkeypatch, journal_line(at=written, merchant=merchant), "txn_time, local_date")
    assert rows == [(utc, local_day)]


@pytest.mark.parametrize(("written", "reason"), [
    ("2026-02-30T10:00:00", "impossible date or time"),
    ("2026-13-01T10:00:00", "impossible date or time"),
    ("2026-10-12T25:00:00", "impossible date or time"),
    ("2026-10-12T10:00:60", "impossible date or time"),
    ("2026-10-12", "not an ISO 8601 date-time"),
    ("12/10/2026 10:00", "not an ISO 8601 date-time"),
    ("2026-10-12T10:00:00 CST", "not an ISO 8601 date-time"),  # a zone name is not read as local time
    ("2026-10-12T10:00:00 UTC", "not an ISO 8601 date-time"),
    ("2026-10-12T10:00:00+25:00", "not an ISO 8601 date-time"),
])
def test_a_bad_time_is_refused_naming_line_and_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, written: str,
                                                      reason: str) -> None:
    refusal = read_both_ways(tmp_path, monkeypatch, journal_line(at=written), "txn_time")
    assert isinstance(refusal, str)
    assert refusal.startswith(f"line 2, column txn_time: {reason}")
    assert written[:20] in refusal


@pytest.mark.parametrize(("txn_type", "status", "expected"), [
    ("消费", "成功", ("SALE", "APPROVED")), ("撤销", "拒绝", ("VOID", "DECLINED")),
    ("退货", "失败", ("REFUND", "FAILED")), ("冲正", "超时", ("REVERSAL", "TIMEOUT")),
    ("预授权", "成功", ("PREAUTH", "APPROVED")), ("预授权完成", "成功", ("PREAUTH_COMPLETE", "APPROVED")),
    ("sale", "approved", ("SALE", "APPROVED")), ("Pre-Auth Complete", "Declined", ("PREAUTH_COMPLETE", "DECLINED")),
    (" 消费 ", " 成功", ("SALE", "APPROVED")),
])
def test_enumerations_accept_chinese_aliases_and_any_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          txn_type: str, status: str,
                                                          expected: tuple[str, str]) -> None:
    line = journal_line(txn_type=txn_type, status=status)
    assert read_both_ways(tmp_path, monkeypatch, line, "txn_type, status") == [expected]


def test_an_unknown_enumeration_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    refusal = read_both_ways(tmp_path, monkeypatch, journal_line(txn_type="赊账"), "txn_type")
    assert refusal == "line 2, column txn_type: unknown transaction type '赊账'"


@pytest.mark.parametrize(("card", "masked", "tokened"), [
    ("622848******1234", "622848******1234", False), ("622848xxxxxx1234", "622848******1234", False),
    ("622848XXXXXX1234", "622848******1234", False), ("6228480012345678", "622848******5678", True),
    ("6228 4800 1234 5678", "622848******5678", True), ("6228-4800-1234-5678", "622848******5678", True),
    ("", None, False),
])
def test_a_card_is_masked_at_the_door_and_a_full_pan_tokened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             card: str, masked: str | None, tokened: bool) -> None:
    rows = read_both_ways(tmp_path, monkeypatch, journal_line(card=card), "card_masked, card_token")
    assert rows[0][0] == masked
    assert (rows[0][1] is not None) == tokened


def test_one_card_written_three_ways_has_one_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = {read_both_ways(tmp_path, monkeypatch, journal_line(card=card), "card_token")[0][0]
              for card in ("6228480012345678", "6228 4800 1234 5678", "6228-4800-1234-5678")}
    assert len(tokens) == 1
