"""Card safety: full card numbers go in through every door (journal, settlement, switch log) and are found
nowhere after: not in the database's bytes, not in the logs, not in any export, not in a reject file."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.support.cli import run_in_process
from tests.support.factories import OBJECTS, World, token_for
from tests.support.files import write_lines
from tests.support.journals import JOURNAL_HEADER, journal_line
from tests.support.postgres import _bin
from tests.support.switch_logs import iso_bytes, iso_request

from recoup.auth.roles import Role

M_A, T_A = OBJECTS["A"]
PANS = ["6228480012345678", "4111111111111111", "6217000472907650621", "622588123456789"]
SETTLEMENT_HEADER = ("settle_date,merchant_id,merchant_name,mcc,terminal_id,txn_time,txn_type,rrn,card,amount,fee,"
                     "net_amount,currency,order_no")


def journal_file(folder: Path) -> Path:
    lines = [journal_line(f"12{n}.00", at=f"2026-10-12T10:0{n}:00", rrn=f"00000000000{n}", stan=f"00000{n}",
                          auth_code=f"12345{n}", card=pan, order_no=f"NO{n}") for n, pan in enumerate(PANS)]
    lines.append(journal_line("-1.00", at="2026-10-12T11:00:00", rrn="000000000009", stan="000009", auth_code="1",
                              card=PANS[0], order_no="N9", cashier="1"))
    return write_lines(folder / "journal.csv", JOURNAL_HEADER, *lines)


def settlement_file(folder: Path) -> Path:
    lines = [f"2026-10-13,{M_A},商户A,5411,{T_A},2026-10-12T10:0{n}:00,SALE,00000000000{n},{pan},12{n}.00,0.10,"
             f"12{n - 1 if n else 0}.90,CNY,NO{n}" for n, pan in enumerate(PANS)]
    return write_lines(folder / "settlement.csv", SETTLEMENT_HEADER, *lines[:1], encoding="gb18030")


def switch_log(folder: Path) -> Path:
    messages = []
    for n, pan in enumerate(PANS):
        request = iso_request(**{"2": pan, "4": f"{(n + 1) * 1000:012d}", "7": f"10121{n}0000", "11": f"10000{n}",
                                 "12": f"1{n}0000", "37": f"10000000000{n}"})
        messages.append(iso_bytes(request))
        messages.append(iso_bytes({**request, "t": "0210", "39": "00", "38": "654321"}))
    messages.append(messages[0][:-4])  # a truncated message: rejected, and its PAN must not be echoed
    path = folder / "switch.log"
    path.write_bytes(b"\n".join(messages) + b"\n")
    return path


def recoup(args: list[str], database_url: str, monkeypatch: pytest.MonkeyPatch,
           capsys: pytest.CaptureFixture[str]) -> str:
    ran = run_in_process(args, database_url, monkeypatch, capsys)
    assert ran.code == 0, ran.err
    return ran.out + ran.err


def database_bytes(database_url: str) -> bytes:
    if database_url.startswith("sqlite"):
        path = Path(database_url.split("///", 1)[1])
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    return subprocess.run([_bin("pg_dump"), "--dbname", url], capture_output=True, check=True, timeout=120).stdout


def test_no_full_card_number_survives_anywhere(world: World, database_url: str, tmp_path: Path, client: TestClient,
                                               monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    seen = [
        recoup(["import", "journal", str(journal_file(tmp_path)), "--skip-bad-rows", "--rejects",
                str(tmp_path / "journal.rejects.csv")], database_url, monkeypatch, capsys),
        recoup(["import", "settlement", str(settlement_file(tmp_path))], database_url, monkeypatch, capsys),
        recoup(["import", "iso8583", str(switch_log(tmp_path)), "--year", "2026", "--skip-bad-rows", "--rejects",
                str(tmp_path / "switch.rejects.csv")], database_url, monkeypatch, capsys),
    ]
    for source in ("journal", "settlement"):
        for fmt in ("csv", "json", "table"):
            seen.append(recoup(["search", "--in", source, "--format", fmt], database_url, monkeypatch, capsys))
    exported = seen[3]
    assert "622848******5678" in exported
    assert "411111******1111" in exported
    headers = {"Authorization": f"Bearer {token_for(world.database, World.username('A', Role.ADMIN))}"}
    listing = client.get("/api/v1/transactions", headers=headers).json()
    assert len(listing["items"]) == 8
    seen += [str(listing), client.get(f"/api/v1/transactions/{listing['items'][0]['id']}", headers=headers).text]
    seen += [(tmp_path / name).read_text(encoding="utf-8") for name in ("journal.rejects.csv", "switch.rejects.csv")]
    seen.append(caplog.text)
    everything = "\n".join(seen).encode() + database_bytes(database_url)
    assert b"622848******5678" in everything
    for pan in PANS:
        assert pan.encode() not in everything, pan
