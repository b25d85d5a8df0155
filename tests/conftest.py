"""Fixtures shared by every domain: a real SQLite and a real PostgreSQL database, the app, users."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from tests.support.factories import World, build_world
from tests.support.postgres import PostgresServer, start_postgres

from recoup.audit.setup import AuditSetup
from recoup.config import Settings
from recoup.db import Database
from recoup.migrations.runner import upgrade

_counter = itertools.count()
# Property tests that name no number of examples run 50 (Hypothesis' default is 100), and none has a deadline:
# on a busy two-core machine a slow example is not a failure. HYPOTHESIS_PROFILE=thorough restores 100 (and
# more for those that name theirs: a profile never overrides a test's own @settings).
hypothesis_settings.register_profile("recoup", max_examples=50, deadline=None)
hypothesis_settings.register_profile("thorough", max_examples=100, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "recoup"))


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Still Argon2, with the cheapest parameters: the factories hash a dozen passwords per test."""
    from argon2 import PasswordHasher

    from recoup.auth import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


# The longest modules (a minute or more of one worker each), started first so that the many short modules fill
# in around them and neither xdist worker idles at the end waiting for the other's last long module. (make test
# sends each module whole to one worker: --dist loadfile. Not loadgroup: with pytest 9.2, xdist 3.8 can no longer
# tag a test's id with its group, and loadgroup spread a group's tests like --dist load.)
LONGEST_FIRST = ("tests/reconciliation/test_spark_engine.py",
                 "tests/web/test_crawl.py", "tests/web/test_accessibility.py", "tests/web/test_openapi_fuzz.py",
                 "tests/journeys/test_complaint_to_resolution.py", "tests/test_readme_examples.py",
                 "tests/demo/test_loader.py", "tests/migrations/test_schema_upgrade.py",
                 "tests/migrations/test_migrate_once.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest modules first, then the other browser tests, then the rest; each module's tests stay together
    and in their order (a stable sort by module), so module-scoped fixtures are set up once per worker."""
    def module(item: pytest.Item) -> str:
        return item.nodeid.split("::", 1)[0]

    with_browser = {module(item) for item in items if item.get_closest_marker("browser")}

    def rank(item: pytest.Item) -> int:
        if module(item) in LONGEST_FIRST:
            return LONGEST_FIRST.index(module(item))
        return len(LONGEST_FIRST) + (0 if module(item) in with_browser else 1)

    items.sort(key=rank)


@pytest.fixture(autouse=True)
def isolated_var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The data folder of the `settings` fixture for every `recoup` this test runs (in process or as a
    subprocess): the same generated keys (the audit key chains the trail) and audit checkpoints, and
    nothing written to the working tree's var/."""
    monkeypatch.setenv("RECOUP_VAR_DIR", str(tmp_path / "var"))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = start_postgres()
    engine = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CREATE DATABASE recoup_template"))
    engine.dispose()
    template = create_engine(server.url("recoup_template"))
    upgrade(template)
    template.dispose()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "recoup.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    db.dispose()
    return path


def _fresh_postgres(server: PostgresServer) -> str:
    name = f"t_{os.getpid()}_{next(_counter)}"
    engine = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        # FILE_COPY: a copy of the template's files, faster than WAL_LOG's page by page for a small template
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE recoup_template STRATEGY FILE_COPY"))
    engine.dispose()
    return server.url(name)


@pytest.fixture
def postgres_url(postgres: PostgresServer) -> str:
    """A fresh migrated PostgreSQL database, for tests about PostgreSQL alone (several processes)."""
    return _fresh_postgres(postgres)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """Every database test runs against both real engines."""
    if request.param == "sqlite":
        target = tmp_path / "recoup.db"
        shutil.copy(sqlite_template, target)
        return f"sqlite:///{target}"
    return _fresh_postgres(request.getfixturevalue("postgres"))


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(database_url=database_url, var_dir=tmp_path / "var", secret_key="test-secret",
                    card_token_key="test-card-key")


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    db = Database(settings.resolved_database_url, audit=AuditSetup.from_settings(settings))
    yield db
    db.dispose()


@pytest.fixture
def world(database: Database) -> World:
    return build_world(database)


@pytest.fixture
def client(settings: Settings, database: Database) -> Iterator[TestClient]:
    from recoup.web.app import create_app

    with TestClient(create_app(settings, database)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless system Chromium for a module's pages (the demo-site tests: crawl, accessibility, role journeys)."""
    from playwright.sync_api import sync_playwright
    from tests.web.conftest import CHROMIUM
    from tests.web.vendor.demo_site import CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
