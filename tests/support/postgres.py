"""A throwaway PostgreSQL server for the test run: initdb in a temporary folder, a loopback port.

PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user Debian creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"PostgreSQL's {name} is not installed (make test installs it)")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    folder: Path
    port: int
    user: str

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        self._run([_bin("pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop"], check=False)
        _remove_in_background(self.folder)

    def _run(self, args: list[str], check: bool = True) -> None:
        _as_owner(args, check=check)


def _as_owner(args: list[str], check: bool = True) -> subprocess.CompletedProcess[bytes]:
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, check=check, capture_output=True, timeout=120)


def _remove_in_background(folder: Path) -> None:
    """Remove a stopped server's folder in a process of its own, not waited for: after a whole run it holds the
    files of thousands of test databases, and removing them here took 40-45 s at the end of each test worker (the
    two slowest teardowns `make test --durations` showed). A removal cut short is finished by `sweep_stale`."""
    subprocess.Popen(["rm", "-rf", "--", str(folder)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)


STALE_AFTER_SECONDS = 3600
_PREFIX = "recoup-pg-"


def _alive(pid_file: Path) -> bool:
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, 0)
    except PermissionError:  # a process of another user: alive
        return True
    except (OSError, ValueError, IndexError):
        return False
    return True


def sweep_stale(root: Path | None = None, now: float | None = None) -> list[Path]:
    """Remove the folders of servers a killed run left behind (a few GB each: they filled the disk): older
    than an hour, their postmaster gone. A server still running, or one still being made, is left alone."""
    removed = []
    for folder in sorted(Path(root or tempfile.gettempdir()).glob(f"{_PREFIX}*")):
        age = (now or time.time()) - folder.stat().st_mtime
        if age < STALE_AFTER_SECONDS or _alive(folder / "data" / "postmaster.pid"):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def start_postgres() -> PostgresServer:
    sweep_stale()
    folder = Path(tempfile.mkdtemp(prefix=_PREFIX))
    user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    port = _free_port()
    data = folder / "data"
    _as_owner([_bin("initdb"), "-D", str(data), "-U", user, "-A", "trust", "-E", "UTF8", "--no-sync"])
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c full_page_writes=off"
    _as_owner([_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"])
    server = PostgresServer(folder, port, user)
    deadline = time.time() + 30
    while time.time() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError("the test PostgreSQL server did not start")
