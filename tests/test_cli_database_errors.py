"""A database an older version migrated: a command says to upgrade it, and never shows its SQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from recoup.cli import _database_problem
from recoup.config import get_settings
from recoup.db import Database
from recoup.migrations.runner import head_revision, upgrade

MISSING_COLUMN = OperationalError("SELECT case_alerts.complaint_id FROM case_alerts WHERE case_alerts.case_id = ?",
                                  (1,), Exception("no such column: case_alerts.complaint_id"))


@pytest.fixture
def database_at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    def migrate(revision: str) -> None:
        url = f"sqlite:///{tmp_path / f'{revision}.db'}"
        database = Database(url)
        upgrade(database.engine, revision)
        database.dispose()
        monkeypatch.setenv("RECOUP_DATABASE_URL", url)
        get_settings.cache_clear()

    yield migrate
    get_settings.cache_clear()


def test_a_database_behind_this_version_is_named_with_the_command_that_mends_it(
        database_at: Callable[[str], None]) -> None:
    database_at("0008")
    said = _database_problem(MISSING_COLUMN)
    assert said == f"the database is at revision 0008 but this version of Recoup needs {head_revision()}: " \
                   "run `recoup db upgrade`"


def test_a_database_at_this_version_gives_the_drivers_reason_without_the_statement(
        database_at: Callable[[str], None]) -> None:
    database_at(head_revision())
    said = _database_problem(MISSING_COLUMN)
    assert "no such column: case_alerts.complaint_id" in said
    assert "SELECT" not in said
