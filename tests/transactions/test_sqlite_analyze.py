"""After a big import into SQLite the table is analyzed in the import's own transaction (recoup.transactions.
loading._analyze_sqlite): without statistics SQLite plans a search by merchant and hour over every line of the
tenant (107 s on 10 million lines; bench/import.py). ANALYZE_AFTER_ROWS is made tiny so that a file of a few
dozen lines counts as big. SQLite keeps its statistics in sqlite_stat1."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from tests.support.factories import World
from tests.transactions.test_import import JOURNAL_HEADER, jline, run, write

from recoup.config import Settings
from recoup.transactions import loading


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite alone (PostgreSQL's own case: test_pg_copy_analyze.py)."""
    import shutil

    target = tmp_path / "analyze.db"
    shutil.copy(sqlite_template, target)
    return f"sqlite:///{target}"


def _statistics(world: World) -> dict[str, str]:
    """The journal's statistics by index (empty before any ANALYZE)."""
    with world.database.unit_of_work() as session:
        if not session.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first():
            return {}
        rows = session.execute(text("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'journal_lines'")).all()
    return {str(index): str(stat) for index, stat in rows}


def _lines(count_of: int) -> list[str]:
    return [jline(f"{n:012d}", stan=f"{n:06d}", order=f"NO{n}") for n in range(1, count_of + 1)]


def test_a_big_import_leaves_statistics_of_every_journal_index(
        world: World, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "ANALYZE_AFTER_ROWS", 3)
    assert run(world, settings, "journal", write(tmp_path, "day.csv", JOURNAL_HEADER, _lines(40))).imported == 40
    statistics = _statistics(world)
    assert {"ix_journal_merchant_time", "ix_journal_terminal_time", "ix_journal_order_no"} <= set(statistics)
    assert statistics["ix_journal_merchant_time"].split()[0] == "40"  # rows the statistics describe


def test_a_small_import_is_not_analyzed(world: World, settings: Settings, tmp_path: Path) -> None:
    run(world, settings, "journal", write(tmp_path, "day.csv", JOURNAL_HEADER, _lines(40)))
    assert _statistics(world) == {}
