"""A settlement date is an ISO 8601 date (or a date-time, whose day is taken); nothing else follows it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from recoup.errors import InvalidInput
from recoup.transactions.csv_input import load_csv

HEADER = "settle_date,merchant_id,mcc,terminal_id,txn_time,txn_type,rrn,card,amount,currency"


def _settlement(tmp_path: Path, settle_date: str) -> Path:
    path = tmp_path / "settlement.csv"
    path.write_text(f"{HEADER}\n{settle_date},898301054111439,5411,61027889,2026-10-12T10:00:00+08:00,SALE,"
                    "000000000001,622848******1234,128.00,CNY\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("written", "day"), [
    ("2026-10-13", date(2026, 10, 13)), ("2026-10-13T00:00:00", date(2026, 10, 13)),
    ("2026-10-13 08:30", date(2026, 10, 13)), ("2026-10-13T00:00:00+08:00", date(2026, 10, 13)),
])
def test_a_date_or_a_date_time_gives_its_day(tmp_path: Path, written: str, day: date) -> None:
    con = duckdb.connect()
    loaded = load_csv(con, "settlement", _settlement(tmp_path, written))
    assert con.execute(f"SELECT settle_date FROM {loaded.table}").fetchall() == [(day,)]


@pytest.mark.parametrize("written", ["2026-10-13 garbage", "2026-10-13T", "2026-10-13Tnoon", "2026-13-01",
                                     "13/10/2026"])
def test_anything_else_is_refused_naming_line_and_column(tmp_path: Path, written: str) -> None:
    with pytest.raises(InvalidInput, match="line 2, column settle_date: "):
        load_csv(duckdb.connect(), "settlement", _settlement(tmp_path, written))
