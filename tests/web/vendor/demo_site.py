"""The demo data set (`recoup demo`, as `make run` loads it) served on a loopback port, for the browser tests
that walk every page: the accessibility check and the link crawl. The demo is built once per test process
(about 8 s on SQLite) and shared; the tests on it only read (GET pages, log in), so sharing is safe."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.live_server import served

from recoup.audit.setup import AuditSetup
from recoup.config import Settings
from recoup.db import Database
from recoup.demo.loader import load_demo
from recoup.web.app import create_app

DEMO_PASSWORD = "recoup-demo-2026"
ROLES = ("admin", "finance", "cashier", "support", "acquirer", "auditor")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
_BUILT: dict[str, Path] = {}


@dataclass(frozen=True)
class DemoSite:
    url: str
    settings: Settings
    database: Database


def demo_settings(var_dir: Path) -> Settings:
    return Settings(database_url="", var_dir=var_dir, secret_key="test-secret-" + "x" * 32,
                    card_token_key="test-card-key-" + "x" * 32)


def build_demo(base: Path) -> Path:
    """The demo loaded into a fresh SQLite database under `base` (once per process)."""
    if "var" not in _BUILT:
        var_dir = base / "demo-var"
        settings = demo_settings(var_dir)
        database = Database(settings.resolved_database_url, audit=AuditSetup.from_settings(settings))
        try:
            for _ in load_demo(database, settings):
                pass
        finally:
            database.dispose()
        _BUILT["var"] = var_dir
    return _BUILT["var"]




@contextmanager
def serve_demo(base: Path, var_dir: Path | None = None) -> Iterator[DemoSite]:
    """The demo (built once per process) served on loopback; in `var_dir`, a copy of its own to change."""
    built = build_demo(base)
    if var_dir is not None and not var_dir.exists():
        shutil.copytree(built, var_dir)
    settings = demo_settings(var_dir or built)
    database = Database(settings.resolved_database_url, audit=AuditSetup.from_settings(settings))
    try:
        with served(create_app(settings, database)) as url:
            yield DemoSite(url, settings, database)
    finally:
        database.dispose()


def log_in(page: Any, url: str, username: str, *, english: bool = False) -> None:
    """Log in through the form as a user would; then switch to English with the menu's button if asked."""
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(lambda address: "/login" not in address)
    if english:
        page.click("[data-testid=lang-en]")
        page.wait_for_load_state()

