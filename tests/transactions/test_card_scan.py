"""Card-number scan (issue 10, defect 8): card numbers planted in every column of the orders, journal,
settlement and merchants files (straight, spaced, dashed, and in an unknown column) are found afterwards
nowhere: not in the database, the var folder, the search exports (csv, json), the API, the reject files,
the command output or the logs. Identifier columns refuse the row; free-text columns are masked; the
import report counts the masked values."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.support.cli import run_in_process
from tests.support.factories import OBJECTS, World, token_for
from tests.transactions.test_import_cards import database_bytes

from recoup.auth.roles import Role
from recoup.transactions.pan_guard import luhn_ok

M_A, T_A = OBJECTS["A"]
GOOD = {
    "journal": {"merchant_id": M_A, "terminal_id": T_A, "txn_time": "2026-10-12T10:00:00", "txn_type": "SALE",
                "status": "APPROVED", "amount": "128.00", "currency": "CNY", "rrn": "", "stan": "000001",
                "auth_code": "123456", "card": "622848******5678", "order_no": "NO1", "cashier_id": "001",
                "orig_rrn": "", "batch_no": "1", "note": "fine"},
    "orders": {"order_no": "", "merchant_id": M_A, "terminal_id": T_A, "created_at": "2026-10-12T09:58:00",
               "expected_amount": "128.00", "currency": "CNY", "cashier_id": "001", "customer_contact": "138",
               "note": "fine"},
    "settlement": {"settle_date": "2026-10-13", "merchant_id": M_A, "merchant_name": "商户A", "mcc": "5411",
                   "terminal_id": T_A, "txn_time": "2026-10-12T10:00:00", "txn_type": "SALE", "rrn": "",
                   "card": "622848******5678", "amount": "128.00", "fee": "0.10", "net_amount": "127.90",
                   "currency": "CNY", "order_no": "NO1", "note": "fine"},
    "merchants": {"merchant_id": M_A, "name": "商户A", "mcc": "5411", "timezone": "Asia/Shanghai", "tenant": "",
                  "note": "fine"},
}
KEYED = {"journal": "rrn", "settlement": "rrn", "orders": "order_no"}  # a distinct value per line


def _pans() -> Iterator[str]:
    """Distinct Luhn-valid numbers of 13 to 19 digits with card prefixes."""
    for n in range(10_000):
        prefix = ("4", "62", "51", "37")[n % 4]
        body = f"{prefix}{n:06d}" + "7" * (12 + n % 7 - len(prefix) - 6)
        yield body + next(str(d) for d in range(10) if luhn_ok(f"{body}{d}"))


def _spelled(pan: str, n: int) -> str:
    if n % 3 == 1:
        return " ".join(pan[i:i + 4] for i in range(0, len(pan), 4))
    if n % 3 == 2:
        return "-".join(pan[i:i + 4] for i in range(0, len(pan), 4))
    return pan


def _planted_file(folder: Path, kind: str, pans: Iterator[str], planted: list[str]) -> Path:
    """One line per column holding a card number (`note` is an unknown column, kept aside)."""
    columns = list(GOOD[kind])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for n, column in enumerate(columns):
        pan = next(pans)
        planted.append(pan)
        row = dict(GOOD[kind])
        if kind in KEYED:
            row[KEYED[kind]] = f"{'NO' if kind == 'orders' else ''}{n + 1:012d}"
        row[column] = _spelled(pan, n) if column != "card" else pan
        writer.writerow(row)
    path = folder / f"{kind}.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _recoup(args: list[str], database_url: str, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> str:
    ran = run_in_process(args, database_url, monkeypatch, capsys)
    assert ran.code == 0, ran.err
    return ran.out + ran.err


def _folder_text(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


def test_no_planted_card_number_is_found_anywhere(world: World, database_url: str, tmp_path: Path,
                                                  client: TestClient, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str],
                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("RECOUP_VAR_DIR", str(tmp_path / "var"))
    pans, planted = _pans(), list[str]()
    inputs, outputs = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    outputs.mkdir()
    seen = []
    for kind in ("merchants", "orders", "journal", "settlement"):
        path = _planted_file(inputs, kind, pans, planted)
        seen.append(_recoup(["import", kind, str(path), "--skip-bad-rows", "--rejects",
                             str(outputs / f"{kind}.rejects.csv")], database_url, monkeypatch, capsys))
    report = "\n".join(seen)
    assert "holding a full card number masked" in report  # the import report says so
    assert "rejected: line 2, column order_no: looks like a full card number" in report  # an identifier: refused
    for source in ("journal", "settlement", "orders"):
        for fmt in ("csv", "json", "table"):
            seen.append(_recoup(["search", "--in", source, "--format", fmt], database_url, monkeypatch, capsys))
    journal = json.loads(_recoup(["search", "--in", "journal", "--format", "json"], database_url, monkeypatch,
                                 capsys))
    assert {row["cashier_id"] for row in journal} >= {"001"}
    assert any("*" in str(row["cashier_id"]) for row in journal)  # the card in the cashier column, masked
    headers = {"Authorization": f"Bearer {token_for(world.database, World.username('A', Role.ADMIN))}"}
    listing = client.get("/api/v1/transactions", headers=headers)
    assert listing.status_code == 200
    seen += [listing.text] + [client.get(f"/api/v1/transactions/{item['id']}", headers=headers).text
                              for item in listing.json()["items"]]
    seen.append(caplog.text)
    everything = "\n".join(seen).encode() + _folder_text(outputs) + _folder_text(tmp_path / "var") \
        + database_bytes(database_url)
    squeezed = everything.replace(b" ", b"").replace(b"-", b"")
    assert b"622848******5678" in everything
    for pan in planted:
        where = squeezed.find(pan.encode())
        assert where < 0, (pan, squeezed[max(0, where - 300):where + 100])
