"""The catalogue of broken files, through the `recoup import` command: a clear message naming the line
and the column, a non-zero exit code, and the database exactly as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.support.cli import run_in_process
from tests.support.factories import OBJECTS, World
from tests.support.journals import JOURNAL_HEADER, csv_bytes
from tests.support.journals import journal_line as line
from tests.support.switch_logs import iso_bytes, iso_request

from recoup.audit.models import AuditEntry
from recoup.transactions.models import ImportBatch, JournalLine, Order

M_A, T_A = OBJECTS["A"]


def good(rrn: str) -> str:
    return line(rrn=rrn)


def iso_message(**extra: str) -> bytes:
    return iso_bytes(iso_request(**extra))


def _bitmap_with(message: bytes, number: int) -> bytes:
    bitmap = int(message[4:20], 16) | 1 << (64 - number)
    return message[:4] + f"{bitmap:016X}".encode() + message[20:]


# case -> (kind, file content, text the message must hold (line and column))
CATALOGUE: dict[str, tuple[str, bytes, tuple[str, ...]]] = {
    "wrong encoding (UTF-16)": ("journal", csv_bytes(good("000000000001")).decode().encode("utf-16"), ("UTF-16",)),
    "wrong encoding (bytes of neither UTF-8 nor GB18030)":
        ("journal", csv_bytes(good("000000000001")) + b"\xff\xfe\xff,\x80\n", ("not text in UTF-8 or GB18030",)),
    "GB18030 text broken further down": ("journal", csv_bytes(*[good(f"{n:012d}") for n in range(1, 12_000)])
                                         .replace(b"001,,1\n", "收银,,1\n".encode("gb18030"), 1) + b"\xff\xff\n",
                                         ("line 12001",)),
    "missing column": ("journal", csv_bytes(good("000000000001"), header=JOURNAL_HEADER.replace(",amount", ",amt")),
                       ("line 1", "amount")),
    "duplicated column": ("journal", csv_bytes(header=JOURNAL_HEADER + ",rrn"), ("line 1", "rrn", "more than once")),
    "empty file": ("journal", b"", ("empty",)),
    "header only": ("journal", csv_bytes(), ("line 1", "no rows")),
    "BOM in the middle": ("journal", csv_bytes(good("000000000001")) + "\ufeff".encode() + csv_bytes(
        good("000000000002"), header="")[1:], ("line 3", "merchant_id")),
    "negative amount": ("journal", csv_bytes(good("000000000001"), line("-128.00")), ("line 3", "amount", "negative")),
    "zero amount": ("journal", csv_bytes(line("0.00")), ("line 2", "amount")),
    "non-numeric amount": ("journal", csv_bytes(line("12O.00")), ("line 2", "amount")),
    "over-precise amount": ("journal", csv_bytes(line("12.345")), ("line 2", "amount", "12.345")),
    "unknown currency": ("journal", csv_bytes(line(currency="XYZ")), ("line 2", "currency", "XYZ")),
    "impossible date": ("journal", csv_bytes(line(at="2026-02-30T10:00:00")), ("line 2", "txn_time")),
    "time far in the future": ("journal", csv_bytes(line(at="2999-01-01T10:00:00")), ("line 2", "txn_time", "future")),
    "overlong field": ("journal", csv_bytes(line(cashier="C" * 200)), ("line 2", "cashier_id", "too long")),
    "RRN of the wrong length": ("journal", csv_bytes(line(rrn="12345")), ("line 2", "rrn")),
    "binary file": ("journal", bytes(range(256)) * 40, ("binary",)),
    "a line of several megabytes": ("journal", csv_bytes(good("000000000001"), line(cashier="x" * 3_000_000)),
                                    ("line 3", "too long")),
    "orders with an impossible date": ("orders", csv_bytes(
        f"NO1,{M_A},{T_A},2026-13-01T10:00:00,128.00,CNY,001,",
        header="order_no,merchant_id,terminal_id,created_at,expected_amount,currency,cashier_id,customer_contact"),
        ("line 2", "created_at")),
    "truncated ISO 8583 message": ("iso8583", iso_message()[:-6] + b"\n", ("line 1", "field")),
    "bitmap naming absent fields": ("iso8583", _bitmap_with(iso_message(), 55) + b"\n", ("line 1", "bitmap")),
}


def stored(world: World) -> tuple[int, int, int, int]:
    with world.database.unit_of_work() as session:
        return tuple(int(session.execute(select(func.count()).select_from(model)).scalar_one())  # type: ignore[return-value]
                     for model in (JournalLine, Order, ImportBatch, AuditEntry))


def test_every_broken_file_is_refused_clearly_and_changes_nothing(
        world: World, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    before = stored(world)
    problems = []
    for case, (kind, content, expected) in sorted(CATALOGUE.items()):
        path = tmp_path / case.replace(" ", "_") / ("switch.log" if kind == "iso8583" else f"{kind}.csv")
        path.parent.mkdir()
        path.write_bytes(content)
        args = ["import", kind, str(path), *(["--year", "2026"] if kind == "iso8583" else [])]
        code, out, err = run_in_process(args, database_url, monkeypatch, capsys)
        missing = [text for text in expected if text not in err]
        if code == 0 or missing or "Traceback" in err or "6228480012345678" in err + out:
            problems.append((case, code, missing, err[-300:]))
        if stored(world) != before:
            problems.append((case, "the database changed", stored(world), before))
    assert problems == []
