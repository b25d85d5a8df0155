"""Scratch folders a killed process left (DuckDB's spill, a big import's pieces: gigabytes) are removed when a
web server or a worker starts; a running process's folder never is (recoup.scratch)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tests.support.cli import run_cli

from recoup import scratch
from recoup.scratch import scratch_folder, sweep

MAKE_AND_WAIT = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {src!r})
    from recoup.scratch import scratch_folder
    folder = scratch_folder("pieces")
    open(folder.name + "/0.bin", "wb").write(b"rows" * 1000)
    print(folder.name, flush=True)
    time.sleep(120)
""")


def _folder_of_a_process(base: Path) -> tuple[subprocess.Popen[str], Path]:
    """A child process that made a scratch folder in `base` (with a file in it) and still runs."""
    child = subprocess.Popen([sys.executable, "-c", MAKE_AND_WAIT.format(src=str(Path(scratch.__file__).parents[1]))],
                             env={**os.environ, "TMPDIR": str(base)}, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    return child, Path(child.stdout.readline().strip())


def test_the_folder_of_a_killed_process_goes_and_the_folder_of_a_running_one_stays(tmp_path: Path) -> None:
    killed, left = _folder_of_a_process(tmp_path)
    running, in_use = _folder_of_a_process(tmp_path)
    try:
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=10)
        assert (left / "0.bin").exists()  # what a killed process leaves
        assert sweep(tmp_path) == 1
        assert not left.exists()
        assert (in_use / "0.bin").exists()
    finally:
        running.kill()
        running.wait(timeout=10)


def test_this_process_s_folders_and_folders_recoup_did_not_name_are_left_alone(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)  # read TMPDIR again
    others = [tmp_path / name for name in ("recoup-spark-warehouse", "recoup-notes", "someone-else-1234-abc")]
    for folder in others:
        folder.mkdir()
    (tmp_path / "recoup-spill-999999999-file").write_text("a file, not a folder")
    with scratch_folder("spill") as mine:
        assert Path(mine).parent == tmp_path
        assert Path(mine).name.startswith(f"recoup-spill-{os.getpid()}-")
        assert sweep(tmp_path) == 0
        assert Path(mine).is_dir()
    assert all(folder.is_dir() for folder in others)


def test_a_worker_starting_sweeps_what_a_killed_import_left(tmp_path: Path) -> None:
    base = tmp_path / "tmp"
    base.mkdir()
    killed, left = _folder_of_a_process(base)
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=10)
    url = f"sqlite:///{tmp_path / 'r.db'}"
    assert run_cli(["db", "upgrade"], url).returncode == 0
    done = run_cli(["worker", "--once"], url, env={"TMPDIR": str(base)})
    assert done.returncode == 0, done.stderr
    assert not left.exists()
