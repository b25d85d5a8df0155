"""Fixtures for the web tests: the app over a database it never opens (routing, parameters), Recoup served on a
loopback port, and the system Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from tests.support.factories import World
from tests.support.live_server import served

from recoup.config import Settings
from recoup.db import Database
from recoup.web.app import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def unopened_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The app as `create_app` makes it, over a SQLite file no test opens: for what needs routes, not rows."""
    folder = tmp_path_factory.mktemp("app")
    settings = Settings(database_url=f"sqlite:///{folder / 'unused.db'}", var_dir=folder / "var",
                        secret_key="test-secret", card_token_key="test-card-key")
    return create_app(settings)




@pytest.fixture
def live_url(settings: Settings, database: Database, world: World) -> Iterator[str]:
    with served(create_app(settings, database)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        yield chromium
        chromium.close()
