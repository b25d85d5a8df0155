"""The demo data set (`recoup demo` on SQLite) built ONCE per test session and shared by every xdist worker.

Building it takes a demo load (tens of seconds of CPU on a busy machine); the crawl, the accessibility check,
the role journeys and the schema-upgrade check all start from the same data. The first process that needs it
builds it under a file lock in the session's shared temporary folder (keyed by a hash of the source and the
UTC day, since the demo's dates follow today); every process then works on a copy of its own, so nothing
written by one test module is seen by another.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from argon2 import PasswordHasher
from tests.support.live_server import served
from tests.web.vendor.demo_site import DemoSite, demo_settings

from recoup.audit.setup import AuditSetup
from recoup.db import Database
from recoup.demo.loader import load_demo
from recoup.web.app import create_app

SOURCE = Path(__file__).resolve().parents[2] / "src" / "recoup"
_COPIES: dict[Path, Path] = {}


def source_key() -> str:
    """A hash of every source file the demo comes from, and today's UTC date (the demo's weeks end today)."""
    digest = hashlib.sha256(datetime.now(UTC).date().isoformat().encode())
    for path in sorted(SOURCE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(SOURCE)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def session_root(base: Path) -> Path:
    """The temporary folder every process of this pytest session shares (xdist workers: the parent of theirs)."""
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _build(var_dir: Path) -> None:
    from recoup.auth import passwords

    settings = demo_settings(var_dir)
    database = Database(settings.resolved_database_url, audit=AuditSetup.from_settings(settings))
    saved = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # as the tests' factories
    try:
        for _ in load_demo(database, settings):
            pass
    finally:
        passwords._hasher = saved
        database.dispose()


def shared_demo(base: Path) -> Path:
    """The data folder of the session's one demo build (built here if no process has built it yet)."""
    folder = session_root(base) / f"demo-{source_key()}"
    folder.mkdir(parents=True, exist_ok=True)
    built = folder / "var"
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "done").exists():
            shutil.rmtree(built, ignore_errors=True)
            _build(built)
            (folder / "done").touch()
    return built


def copy_of_demo(base: Path, target: Path) -> Path:
    """A copy of the session's demo in `target`, made once per process (later calls return it as it is).
    `base` is the process's pytest base temporary folder (tmp_path_factory.getbasetemp())."""
    if target not in _COPIES:
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(shared_demo(base), target)
        _COPIES[target] = target
    return target


@contextmanager
def serve_demo(base: Path, var_dir: Path | None = None) -> Iterator[DemoSite]:
    """The session's demo served on loopback: the process's read-only copy, or a copy of its own in `var_dir`.
    `base` is the process's pytest base temporary folder."""
    folder = copy_of_demo(base, var_dir or base / "demo-var")
    settings = demo_settings(folder)
    database = Database(settings.resolved_database_url, audit=AuditSetup.from_settings(settings))
    try:
        with served(create_app(settings, database)) as url:
            yield DemoSite(url, settings, database)
    finally:
        database.dispose()
