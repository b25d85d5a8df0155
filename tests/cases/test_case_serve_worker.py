"""`recoup serve` runs the background worker on the embedded default (SQLite): an overdue case is
escalated while the server runs, with no `recoup worker` beside it."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from tests.cases.test_case_world import MERCHANT_A, admin, case_numbered
from tests.support.factories import World

from recoup.cases.opening import OpenRequest, open_case
from recoup.db import utcnow

WAIT_SECONDS = 120


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_serve_escalates_an_overdue_case_by_itself(world: World, database_url: str, tmp_path: Path) -> None:
    with world.database.unit_of_work() as session:
        number = open_case(session, admin(world), OpenRequest(merchant_id=MERCHANT_A, amount="5.00"),
                           utcnow() - timedelta(days=3)).number
    env = {"RECOUP_DATABASE_URL": database_url, "RECOUP_VAR_DIR": str(tmp_path / "var")}  # the fixtures' key file
    server = subprocess.Popen([sys.executable, "-m", "recoup", "serve", "--port", str(_free_port())],
                              env={**_inherited(), **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        give_up = time.monotonic() + WAIT_SECONDS
        while case_numbered(world.database, number).rung == "MERCHANT" and time.monotonic() < give_up:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            time.sleep(0.5)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    case = case_numbered(world.database, number)
    assert (case.rung, case.state) == ("PROVIDER_SUPPORT", "ESCALATED")


def _inherited() -> dict[str, str]:
    import os

    return {key: value for key, value in os.environ.items() if not key.startswith("RECOUP_")}
