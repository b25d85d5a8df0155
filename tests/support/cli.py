"""Run the real `recoup` command as a user would: in a subprocess, or (faster, same code path) in this process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
from tests.support.factories import World

from recoup.auth.roles import Role
from recoup.cli import main
from recoup.config import get_settings


def run_cli(args: list[str], database_url: str, *, env: dict[str, str] | None = None,
            input_text: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "RECOUP_DATABASE_URL": database_url, "RECOUP_SECRET_KEY": "test-secret",
                "RECOUP_CARD_TOKEN_KEY": "test-card-key", **(env or {})}
    return subprocess.run([sys.executable, "-m", "recoup", *args], capture_output=True, text=True,
                          env=full_env, input=input_text, timeout=300, cwd=cwd)


class Ran(NamedTuple):
    code: int
    out: str
    err: str


def run_in_process(args: list[str], database_url: str, monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture[str], *, user: str = World.username("A", Role.ADMIN)) -> Ran:
    """The entry point of the `recoup` command, in this process, as `user` (by default tenant A's admin)."""
    monkeypatch.setenv("RECOUP_DATABASE_URL", database_url)
    monkeypatch.setenv("RECOUP_CARD_TOKEN_KEY", "test-card-key")
    monkeypatch.setenv("RECOUP_USER", user)
    monkeypatch.setattr(sys, "argv", ["recoup", *args])
    get_settings.cache_clear()
    code = 0
    try:
        main()
    except SystemExit as done:
        code = int(done.code or 0)
    finally:
        get_settings.cache_clear()
    captured = capsys.readouterr()
    return Ran(code, captured.out, captured.err)


def run_cli_here(args: list[str], database_url: str, *, env: dict[str, str] | None = None,
                 input_text: str = "") -> subprocess.CompletedProcess[str]:
    """`run_cli` without the new process: the same entry point, environment, exit code and output, in this
    process (a Python start per call is most of a short command's time). For tests that need no isolation."""
    import contextlib
    import io

    values = {"RECOUP_DATABASE_URL": database_url, "RECOUP_SECRET_KEY": "test-secret",
              "RECOUP_CARD_TOKEN_KEY": "test-card-key", **(env or {})}
    saved_env = {name: os.environ.get(name) for name in values}
    saved = sys.argv, sys.stdin
    out, err = io.StringIO(), io.StringIO()
    os.environ.update(values)
    sys.argv, sys.stdin = ["recoup", *args], io.StringIO(input_text)  # prompts read `input_text`
    get_settings.cache_clear()
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    finally:
        sys.argv, sys.stdin = saved
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())
