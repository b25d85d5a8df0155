"""Imports through `POST /api/v1/imports` and the upload page; a killed import leaves no trace."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.support.factories import PASSWORD, World, token_for
from tests.support.journals import journal_bytes

from recoup.auth.roles import Role
from recoup.transactions.models import ImportBatch, JournalLine

ADMIN = World.username("A", Role.ADMIN)


def stored(world: World) -> tuple[int, int]:
    with world.database.unit_of_work() as session:
        return (int(session.execute(select(func.count()).select_from(JournalLine)).scalar_one()),
                int(session.execute(select(func.count()).select_from(ImportBatch)).scalar_one()))


def test_the_api_imports_once_and_lists_bad_lines(world: World, client: TestClient) -> None:
    headers = {"Authorization": f"Bearer {token_for(world.database, ADMIN)}"}
    files = {"file": ("journal.csv", journal_bytes(3), "text/csv")}
    first = client.post("/api/v1/imports", data={"kind": "journal"}, files=files, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["imported"] == 3
    assert first.json()["file_name"] == "journal.csv"
    again = client.post("/api/v1/imports", data={"kind": "journal"}, files=files, headers=headers)
    assert again.status_code == 200
    assert again.json()["already_imported"] is True
    bad = client.post("/api/v1/imports", data={"kind": "journal"}, headers=headers,
                      files={"file": ("j2.csv", journal_bytes(4, bad_amount_at=2), "text/csv")})
    assert bad.status_code == 422
    assert bad.json()["detail"] == [{"line": 3, "column": "amount", "reason": "negative amount '-1.00'"}]
    assert stored(world) == (3, 1)
    listed = client.get("/api/v1/imports", headers=headers).json()
    assert [(b["kind"], b["rows"]) for b in listed] == [("journal", 3)]
    cashier = {"Authorization": f"Bearer {token_for(world.database, World.username('A', Role.CASHIER))}"}
    assert client.post("/api/v1/imports", data={"kind": "journal"}, files=files, headers=cashier).status_code == 403


def test_the_upload_page_shows_the_result_and_the_rejected_lines(world: World, client: TestClient) -> None:
    login = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"username": ADMIN, "password": PASSWORD, "csrf_token": login})
    page = client.get("/imports")
    assert page.status_code == 200
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    refused = client.post("/imports", data={"kind": "journal", "csrf_token": csrf},
                          files={"file": ("j.csv", journal_bytes(4, bad_amount_at=2), "text/csv")})
    assert refused.status_code == 422
    assert "negative amount" in refused.text
    assert ">3<" in refused.text
    done = client.post("/imports", data={"kind": "journal", "csrf_token": csrf, "skip_bad_rows": "true"},
                       files={"file": ("j.csv", journal_bytes(4, bad_amount_at=2), "text/csv")})
    assert done.status_code == 200
    assert 'data-testid="import-imported">3<' in done.text
    assert "negative amount" in done.text
    forged = client.post("/imports", data={"kind": "journal", "csrf_token": "forged"},
                         files={"file": ("k.csv", journal_bytes(1), "text/csv")})
    assert forged.status_code == 403
    assert stored(world) == (3, 1)


def test_a_killed_import_leaves_the_database_as_it_was(world: World, database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(journal_bytes(300_000))
    env = {**os.environ, "RECOUP_DATABASE_URL": database_url, "RECOUP_USER": ADMIN,
           "RECOUP_CARD_TOKEN_KEY": "test-card-key"}
    process = subprocess.Popen([sys.executable, "-m", "recoup", "import", "journal", str(path)], env=env,
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith("storing"):
            break
    time.sleep(0.3)
    assert process.poll() is None, "the import ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    time.sleep(0.5)
    assert stored(world) == (0, 0)
