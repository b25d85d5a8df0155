"""`recoup serve --workers N`: several web processes on one PostgreSQL, stopped gracefully."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from tests.support.cli import run_cli

LONG_KEYS = {"RECOUP_SECRET_KEY": "s" * 40, "RECOUP_CARD_TOKEN_KEY": "c" * 40}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[str]) -> httpx.Response:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        try:
            return httpx.get(f"{url}/readyz", timeout=2)
        except httpx.TransportError:
            time.sleep(0.3)
    raise AssertionError("the server never answered")


def test_two_web_processes_serve_one_postgresql_and_stop_on_sigterm(postgres_url: str, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "RECOUP_DATABASE_URL": postgres_url, "RECOUP_VAR_DIR": str(tmp_path / "var"), **LONG_KEYS}
    process = subprocess.Popen([sys.executable, "-m", "recoup", "serve", "--workers", "2", "--port", str(port)],
                               env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        assert _wait_ready(url, process).status_code == 200
        answers = [httpx.get(f"{url}/api/v1/me", timeout=5).status_code for _ in range(20)]
        assert answers == [401] * 20  # every process answers, and with the same rules
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    assert code == 0
    log = process.stderr.read() if process.stderr else ""
    assert "Traceback" not in log
    assert len(re.findall(r"warmed up in [0-9.]+ s: \d+ templates", log)) == 2  # each process, before it listened


def test_sqlite_refuses_several_processes_with_a_reason(tmp_path: Path) -> None:
    done = run_cli(["serve", "--workers", "2"], f"sqlite:///{tmp_path / 'r.db'}", env=LONG_KEYS)
    assert done.returncode != 0
    assert "--workers needs PostgreSQL" in done.stderr
    assert "Traceback" not in done.stderr
