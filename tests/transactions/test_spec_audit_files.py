"""SPEC 3: "All files are CSV with a header row, comma separated, in UTF-8 with or without BOM, or in GB18030
(common in Chinese bank exports): detect it. Column order is free; unknown columns are kept aside, not an
error." And: "each rejected row is reported with its line number, column and reason"; "malformed files get a
clear message, never a traceback".
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from sqlalchemy import select
from tests.support.cli import run_in_process
from tests.support.factories import OBJECTS, World

from recoup.errors import InvalidInput
from recoup.transactions.csv_input import load_csv
from recoup.transactions.models import JournalLine, SettlementLine

KEY = b"audit-key"
M_A, T_A = OBJECTS["A"]
SETTLEMENT = ["settle_date", "merchant_id", "merchant_name", "mcc", "terminal_id", "txn_time", "txn_type", "rrn",
              "card", "amount", "fee", "net_amount", "currency", "order_no"]
JOURNAL = ["merchant_id", "terminal_id", "txn_time", "txn_type", "status", "amount", "currency", "rrn", "stan",
           "auth_code", "card", "order_no", "cashier_id", "orig_rrn", "batch_no"]


def settlement_values(rrn: str = "430327853023", name: str = '"南京市建邺区安康超市, ""一楼"""') -> list[str]:
    return ["2026-10-13", M_A, name, "5411", T_A, "2026-10-12T11:21:00+08:00", "消费", rrn, "622588*********8637",
            "512.93", "3.08", "509.85", "CNY", ""]


def bank_export(order: list[int], *, newline: str = "\r\n", extra: bool = True) -> str:
    """A settlement as a Chinese bank exports it: columns in its own order, a remark column of its own."""
    header = [SETTLEMENT[i] for i in order] + (["备注"] if extra else [])
    lines = [",".join(header)]
    for rrn in ("430327853023", "430327853024"):
        values = settlement_values(rrn)
        lines.append(",".join([values[i] for i in order] + (["人工核对"] if extra else [])))
    return newline.join(lines) + newline


def settlement_rows(tmp_path: Path, content: bytes) -> tuple[str, list[tuple[object, ...]], list[str]]:
    path = tmp_path / "settlement.csv"
    path.write_bytes(content)
    con = duckdb.connect()
    try:
        result = load_csv(con, "settlement", path, card_key=KEY)
        extra = ", ".join(result.extra_columns.values()) or "NULL"
        rows = con.execute(f"SELECT merchant_name, txn_type, rrn, amount_minor, fee_minor, net_minor, {extra} "
                           f"FROM {result.table} ORDER BY line_no").fetchall()
    finally:
        con.close()
    return result.encoding, rows, result.warnings


REVERSED = list(reversed(range(len(SETTLEMENT))))
EXPECTED = [("南京市建邺区安康超市, \"一楼\"", "SALE", rrn, 51293, 308, 50985, "人工核对")
            for rrn in ("430327853023", "430327853024")]


@pytest.mark.parametrize(("encoding", "prefix", "detected"), [
    ("utf-8", b"", "utf-8"), ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"), ("gb18030", b"", "gb18030"),
])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_every_encoding_and_column_order_reads_the_same(tmp_path: Path, encoding: str, prefix: bytes,
                                                        detected: str, newline: str) -> None:
    content = prefix + bank_export(REVERSED, newline=newline).encode(encoding)
    found, rows, warnings = settlement_rows(tmp_path, content)
    assert (found, rows) == (detected, EXPECTED)
    assert warnings == ["settlement.csv: unknown column(s) kept aside: 备注 (as extra_14)"]


@pytest.mark.parametrize(("newline", "ending"), [
    ("\n", "\n"), ("\n", "\n\n"), ("\r\n", "\r\n\r\n"), ("\n", ""), ("\r", "\r"),  # \r: old Mac files
])
def test_a_trailing_empty_line_or_none_changes_nothing(tmp_path: Path, newline: str, ending: str) -> None:
    content = bank_export(list(range(len(SETTLEMENT))), newline=newline).rstrip(newline) + ending
    _, rows, _ = settlement_rows(tmp_path, content.encode())
    assert [row[2] for row in rows] == ["430327853023", "430327853024"]


def test_a_header_in_capitals_with_spaces_and_quotes_is_understood(tmp_path: Path) -> None:
    header = ",".join(f'" {name.upper()} "' for name in SETTLEMENT)
    content = header + "\n" + ",".join(settlement_values()) + "\n"
    _, rows, _ = settlement_rows(tmp_path, content.encode())
    assert rows[0][:6] == EXPECTED[0][:6]


@pytest.mark.parametrize(("bad_line", "expected"), [
    ("a,b,c", "line 3, column mcc: 3 fields where the header has 14"),  # one reject for the line, not eleven
    (",".join(settlement_values()) + ",x", "line 3, column *: 15 fields where the header has 14"),
    ("\ufeff" + ",".join(settlement_values("430327853025")),
     "line 3, column settle_date: not an ISO 8601 date: '<BOM>2026-10-13'"),  # a BOM in the middle
])
def test_a_malformed_line_is_one_clear_reject(tmp_path: Path, bad_line: str, expected: str) -> None:
    lines = [",".join(SETTLEMENT), ",".join(settlement_values()), bad_line,
             ",".join(settlement_values("430327853026"))]
    path = tmp_path / "settlement.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        load_csv(duckdb.connect(), "settlement", path, card_key=KEY)
    assert str(refused.value).splitlines()[1:] == [f"  {expected}"]


def gb18030_journal() -> bytes:
    """A terminal journal as a Chinese POS vendor exports it: GB18030, aliases, shuffled columns, CRLF."""
    order = [4, 3, 2, 0, 1, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    rows = [
        [M_A, T_A, "2026-10-12 10:00:00", "消费", "成功", "\"1,280.00\"", "156", "000000000001", "000001", "123456",
         "6228 4800 1234 5678", "NO1", "收银员01", "", "000143"],
        [M_A, T_A, "2026-10-12 10:05:00", "撤销", "成功", "\"1,280.00\"", "156", "000000000002", "000002", "123457",
         "622848xxxxxx5678", "NO1", "收银员01", "000000000001", "000143"],
    ]
    lines = [",".join([JOURNAL[i] for i in order] + ["门店"])]
    lines += [",".join([row[i] for i in order] + ["新街口店"]) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("gb18030")


def test_a_gb18030_journal_with_chinese_aliases_is_imported_exactly(
        world: World, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "journal.csv"
    path.write_bytes(gb18030_journal())
    code, out, err = run_in_process(["import", "journal", str(path)], database_url, monkeypatch, capsys)
    assert (code, err.count("Traceback")) == (0, 0), err
    assert "2 row(s) imported" in out
    with world.database.unit_of_work() as session:
        lines = session.execute(select(JournalLine).order_by(JournalLine.rrn)).scalars().all()
        stored = [(line.txn_type, line.status, line.amount_minor, line.currency, line.card_masked,
                   line.cashier_id, line.orig_rrn, line.local_date.isoformat(), line.extra) for line in lines]
        tokens = {line.card_token for line in lines}
    assert stored == [
        ("SALE", "APPROVED", 128000, "CNY", "622848******5678", "收银员01", "", "2026-10-12", {"门店": "新街口店"}),
        ("VOID", "APPROVED", 128000, "CNY", "622848******5678", "收银员01", "000000000001", "2026-10-12",
         {"门店": "新街口店"}),
    ]
    assert len(tokens - {None}) == 1
    again = run_in_process(["import", "journal", str(path)], database_url, monkeypatch, capsys)
    assert again.code == 0
    assert "imported before" in again.out


def test_an_overlong_cashier_is_refused_alike_on_every_engine(
        world: World, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The reader holds each value to the width of the column that stores it: no engine's own error."""
    path = tmp_path / "journal.csv"
    values = [M_A, T_A, "2026-10-12T10:00:00+08:00", "SALE", "APPROVED", "128.00", "CNY", "000000000001", "000001",
              "123456", "622848******5678", "NO1", "C" * 33, "", "1"]
    path.write_text(",".join(JOURNAL) + "\n" + ",".join(values) + "\n", encoding="utf-8")
    code, _, err = run_in_process(["import", "journal", str(path)], database_url, monkeypatch, capsys)
    assert code == 1
    assert "line 2, column cashier_id: too long (33 characters, at most 32)" in err
    with world.database.unit_of_work() as session:
        assert session.execute(select(JournalLine)).first() is None


def test_a_settlement_in_gb18030_is_imported_with_its_chinese_merchant_name(
        world: World, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "settlement.csv"
    path.write_bytes(bank_export(REVERSED).encode("gb18030"))
    code, out, err = run_in_process(["import", "settlement", str(path)], database_url, monkeypatch, capsys)
    assert code == 0, err
    assert "2 row(s) imported" in out
    with world.database.unit_of_work() as session:
        names = session.execute(select(SettlementLine.merchant_name, SettlementLine.net_minor)).all()
    assert sorted(names) == [("南京市建邺区安康超市, \"一楼\"", 50985)] * 2
