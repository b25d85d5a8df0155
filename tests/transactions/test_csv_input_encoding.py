"""Encodings: UTF-8 with or without BOM and GB18030 are read alike; anything else is refused clearly."""

from __future__ import annotations

import codecs
from pathlib import Path

import duckdb
import pytest

from recoup.errors import InvalidInput
from recoup.transactions.csv_input import load_csv
from recoup.transactions.encoding import SNIFF_BYTES, sniff_encoding

HEADER = "settle_date,merchant_id,merchant_name,mcc,terminal_id,txn_time,txn_type,rrn,amount,currency"


def line(n: int, name: str = "深圳市南山区明珠餐厅", txn_type: str = "消费") -> str:
    return f"2026-10-13,898584058121917,{name},5812,61067484,2026-10-12T10:00:00+08:00,{txn_type},{n:012d},1.00,CNY"


@pytest.mark.parametrize(("encoding", "detected"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                    ("gb18030", "gb18030")])
def test_each_encoding_reads_the_same(con: duckdb.DuckDBPyConnection, tmp_path: Path, encoding: str,
                                      detected: str) -> None:
    path = tmp_path / "settlement.csv"
    path.write_text("\n".join([HEADER, line(1), line(2)]) + "\n", encoding=encoding)
    result = load_csv(con, "settlement", path)
    assert result.encoding == detected
    assert con.execute("SELECT merchant_name, txn_type FROM settlement ORDER BY rrn").fetchall() == [
        ("深圳市南山区明珠餐厅", "SALE"), ("深圳市南山区明珠餐厅", "SALE")]


def test_gb18030_found_after_a_long_ascii_head(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    ascii_lines = [line(n, name="ASCII", txn_type="SALE") for n in range(SNIFF_BYTES // 100 + 10)]
    path = tmp_path / "settlement.csv"
    path.write_text("\n".join([HEADER, *ascii_lines, line(999999)]) + "\n", encoding="gb18030")
    result = load_csv(con, "settlement", path)
    assert result.encoding == "gb18030"
    assert con.execute("SELECT merchant_name FROM settlement WHERE rrn = '000000999999'").fetchall() == [
        ("深圳市南山区明珠餐厅",)]


def test_binary_file_is_refused(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "settlement.csv"
    path.write_bytes(b"PK\x03\x04\x14\x00\x00\x00" + bytes(range(256)) * 10)
    with pytest.raises(InvalidInput, match=r"settlement\.csv: a binary file, not a CSV text file"):
        load_csv(con, "settlement", path)


def test_utf16_is_refused_with_advice(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "settlement.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + HEADER.encode("utf-16-le"))
    with pytest.raises(InvalidInput, match="UTF-16 text is not supported; save it as UTF-8 or GB18030"):
        load_csv(con, "settlement", path)


def test_text_in_neither_encoding_names_its_line(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    ascii_lines = [line(n, name="ASCII", txn_type="SALE") for n in range(SNIFF_BYTES // 100 + 10)]
    path = tmp_path / "settlement.csv"
    path.write_bytes(("\n".join([HEADER, *ascii_lines]) + "\n").encode() + b"\xff\xff\xff\n")
    with pytest.raises(InvalidInput, match=rf"settlement.csv: line {len(ascii_lines) + 2}: bytes that are neither"):
        load_csv(con, "settlement", path)


def test_missing_file(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"nope\.csv: no such file"):
        load_csv(con, "settlement", tmp_path / "nope.csv")


@pytest.mark.parametrize(("head", "expected"), [
    (b"a,b\n1,2\n", "utf-8"),
    (codecs.BOM_UTF8 + b"a,b\n", "utf-8-sig"),
    ("商户,金额\n".encode("gb18030"), "gb18030"),
    ("商户,金额\n".encode()[:-2], "utf-8"),  # a character cut by the sniff window is fine
])
def test_sniff(head: bytes, expected: str) -> None:
    assert sniff_encoding(head, "x.csv") == expected
