"""Fixtures for the browser tests: Recoup served on a loopback port, and the system Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from tests.support.factories import World
from tests.support.live_server import served

from recoup.config import Settings
from recoup.db import Database
from recoup.web.app import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"




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
