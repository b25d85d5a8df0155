"""Run the real `recoup` command in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(args: list[str], database_url: str, *, env: dict[str, str] | None = None,
            input_text: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "RECOUP_DATABASE_URL": database_url, "RECOUP_SECRET_KEY": "test-secret",
                "RECOUP_CARD_TOKEN_KEY": "test-card-key", **(env or {})}
    return subprocess.run([sys.executable, "-m", "recoup", *args], capture_output=True, text=True,
                          env=full_env, input=input_text, timeout=300, cwd=cwd)
