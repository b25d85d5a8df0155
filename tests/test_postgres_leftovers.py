"""The test PostgreSQL servers' folders (a few GB each) do not pile up when a run is killed: the next start
removes those older than an hour whose server is gone, and leaves a running or a new one alone."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.support.postgres import STALE_AFTER_SECONDS, _remove_in_background, sweep_stale


def _server_folder(root: Path, name: str, pid: int | None, age: float) -> Path:
    folder = root / f"recoup-pg-{name}"
    (folder / "data").mkdir(parents=True)
    if pid is not None:
        (folder / "data" / "postmaster.pid").write_text(f"{pid}\n/some/data\n")
    moment = time.time() - age
    os.utime(folder, (moment, moment))
    return folder


def test_only_old_folders_of_stopped_servers_are_removed(tmp_path: Path) -> None:
    old = STALE_AFTER_SECONDS + 60
    dead_pid = 2**22 + 12345  # above Linux's largest pid: no such process
    killed = _server_folder(tmp_path, "killed", dead_pid, old)
    never_started = _server_folder(tmp_path, "never", None, old)
    running = _server_folder(tmp_path, "running", os.getpid(), old)
    being_made = _server_folder(tmp_path, "new", None, 5)
    other = tmp_path / "someone-else"
    other.mkdir()
    removed = sweep_stale(tmp_path)
    assert sorted(removed) == sorted([killed, never_started])
    assert not killed.exists()
    assert not never_started.exists()
    assert running.exists()
    assert being_made.exists()
    assert other.exists()


def test_a_stopped_servers_folder_is_removed_without_waiting_for_it(tmp_path: Path) -> None:
    folder = _server_folder(tmp_path, "stopped", None, 0)
    for n in range(200):
        (folder / "data" / f"{n}.dat").write_bytes(b"x" * 100)
    _remove_in_background(folder)
    deadline = time.monotonic() + 30
    while folder.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not folder.exists()
    assert tmp_path.exists()
