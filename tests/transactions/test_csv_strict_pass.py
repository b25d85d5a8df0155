"""The cheap strict first read: it takes canonical files alone and loads exactly what the lenient read loads."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import duckdb
import pytest
from tests.support.samples import RECON

from recoup.errors import InvalidInput
from recoup.transactions import csv_passes
from recoup.transactions.csv_input import load_csv

KEY = b"strict-key"
ZONES = {"898584058121999": "Asia/Tokyo", "898584058121888": "America/New_York"}
JOURNAL_HEADER = ("merchant_id,terminal_id,txn_time,txn_type,status,amount,currency,rrn,stan,auth_code,card,"
                  "order_no,cashier_id,orig_rrn,batch_no")
GOOD = {"merchant_id": "898584058121917", "terminal_id": "61067484", "txn_time": "2026-10-12T08:04:52+08:00",
        "txn_type": "SALE", "status": "APPROVED", "amount": "357.50", "currency": "CNY", "rrn": "405496114072",
        "stan": "781461", "auth_code": "859974", "card": "6217000472907650621", "order_no": "NO1",
        "cashier_id": "003", "orig_rrn": "", "batch_no": "000143"}

# Valid values the strict read doubts (the lenient read takes them), and canonical ones it takes.
LENIENT_ONLY = [
    {"currency": "cny"}, {"currency": " CNY"}, {"amount": " 12.00"}, {"txn_type": "sale"}, {"status": "Approved"},
    {"txn_type": "PRE-AUTH"}, {"txn_time": "2026-10-12T08:04:52+08:00 "}, {"txn_time": " 2026-10-12 08:04:52"},
    {"merchant_id": " 898584058121917"}, {"rrn": "405496114072 "}, {"order_no": " NO1 "},
    {"amount": "1,280.00"}, {"amount": "+5"}, {"amount": "12.500"}, {"amount": "12.5"}, {"amount": "0357.50"},
]
BOTH = [
    {}, {"amount": "0.50"}, {"currency": "156"}, {"amount": "1280", "currency": "JPY"},
    {"txn_time": "2026-10-12 23:30:00"}, {"txn_time": "2026-10-12T23:30:00", "merchant_id": "898584058121999"},
    {"txn_time": "2026-07-01T23:30:00", "merchant_id": "898584058121888"}, {"txn_time": "2026-10-12T15:30:00Z"},
    {"txn_time": "2026-10-12T15:30:00,5-05:00"}, {"card": "6217 0004 7290 7650 621"}, {"card": "621700xxxxxx0621"},
    {"card": "621700******0621"}, {"card": ""}, {"txn_type": "退货", "status": "成功", "orig_rrn": "405496114070"},
    {"status": "FAILED", "rrn": ""}, {"auth_code": ""}, {"cashier_id": ""},
]


def write_journal(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=JOURNAL_HEADER.split(","), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path



def loaded(con: duckdb.DuckDBPyConnection, kind: str, path: Path, monkeypatch: pytest.MonkeyPatch, *,
           strict: bool, **options: Any) -> tuple[list[tuple[Any, ...]], bool]:
    """The rows (sorted, line_no aside) and whether the strict read took the file."""
    took: list[bool] = []
    real = csv_passes.strict_pass

    def spy(*args: Any, **kwargs: Any) -> bool:
        took.append(real(*args, **kwargs) if strict else False)
        return took[-1]

    monkeypatch.setattr(csv_passes, "strict_pass", spy)
    result = load_csv(con, kind, path, table=f"{kind}_{'strict' if strict else 'lenient'}", **options)
    columns = [name for (name,) in con.execute(f"SELECT column_name FROM (DESCRIBE {result.table})").fetchall()
               if name != "line_no"]
    rows = con.execute(f"SELECT {', '.join(columns)} FROM {result.table} ORDER BY ALL").fetchall()
    return rows, took == [True]


def both_ways(con: duckdb.DuckDBPyConnection, kind: str, path: Path, monkeypatch: pytest.MonkeyPatch,
              **options: Any) -> bool:
    strict_rows, took = loaded(con, kind, path, monkeypatch, strict=True, **options)
    lenient_rows, _ = loaded(con, kind, path, monkeypatch, strict=False, **options)
    assert strict_rows == lenient_rows
    return took


@pytest.mark.parametrize("values", BOTH)
def test_canonical_values_are_read_strictly_and_alike(con: duckdb.DuckDBPyConnection, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       values: dict[str, str]) -> None:
    path = write_journal(tmp_path / "journal.csv", [GOOD, GOOD | {"rrn": "405496114073"} | values])
    assert both_ways(con, "journal", path, monkeypatch, card_key=KEY, timezones=ZONES)


@pytest.mark.parametrize("values", LENIENT_ONLY)
def test_other_spellings_go_to_the_lenient_read(con: duckdb.DuckDBPyConnection, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    path = write_journal(tmp_path / "journal.csv", [GOOD, GOOD | {"rrn": "405496114073"} | values])
    assert not both_ways(con, "journal", path, monkeypatch, card_key=KEY, timezones=ZONES)


@pytest.mark.parametrize("kind", ["merchants", "orders", "journal", "settlement"])
def test_samples_are_read_strictly_and_alike(con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch,
                                             kind: str) -> None:
    assert both_ways(con, kind, RECON / f"{kind}.csv", monkeypatch, card_key=KEY, line_numbers=False,
                     keep_personal=True)


def test_gb18030_file_is_read_strictly_once_transcoded(con: duckdb.DuckDBPyConnection, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "settlement.csv"
    path.write_text((RECON / "settlement.csv").read_text(encoding="utf-8-sig"), encoding="gb18030")
    assert both_ways(con, "settlement", path, monkeypatch)


def test_a_bad_value_still_names_its_line(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_journal(tmp_path / "journal.csv", [GOOD, GOOD | {"rrn": "405496114073", "amount": "-1.00"}])
    with pytest.raises(InvalidInput) as caught:
        load_csv(con, "journal", path, card_key=KEY, line_numbers=False)
    assert "line 3, column amount: negative amount '-1.00'" in caught.value.message
