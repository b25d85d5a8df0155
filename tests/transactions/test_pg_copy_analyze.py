"""After a big import into PostgreSQL the journal is analyzed inside the import (the warnings and recovery
confirmations that follow would otherwise plan blind: seconds instead of milliseconds on a million lines),
but only when its statistics no longer describe it, and only the columns those queries filter on; the
whole table is left to autovacuum. ANALYZE_AFTER_ROWS is made tiny so that a file of a few dozen lines
counts as big. PostgreSQL records an ANALYZE in the table's row estimate (pg_class.reltuples)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from tests.support.factories import World
from tests.transactions.test_import import JOURNAL_HEADER, jline, run, write

from recoup.config import Settings
from recoup.transactions import loading


@pytest.fixture
def database_url(postgres_url: str) -> str:
    """PostgreSQL's statistics alone (SQLite plans without them)."""
    return postgres_url


def _lines(first: int, count_of: int) -> list[str]:
    return [jline(f"{n:012d}", stan=f"{n:06d}", order=f"NO{n}") for n in range(first, first + count_of)]


def _described(world: World) -> tuple[float, list[str]]:
    """The journal's row estimate, and the columns that have statistics."""
    with world.database.unit_of_work() as session:
        estimate = float(session.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'journal_lines'"))
                         .scalar_one())
        columns = sorted(session.execute(text("SELECT attname FROM pg_stats WHERE tablename = 'journal_lines'"))
                         .scalars())
    return estimate, columns


def test_the_journal_is_analyzed_when_an_import_outgrows_its_statistics(
        world: World, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "ANALYZE_AFTER_ROWS", 3)
    assert _described(world)[0] < 0  # never analyzed
    assert run(world, settings, "journal", write(tmp_path, "first.csv", JOURNAL_HEADER, _lines(1, 40))).imported == 40
    estimate, columns = _described(world)
    assert estimate == 40
    assert set(columns) == set(loading.ANALYZED_COLUMNS["journal_lines"])  # not txn_time, batch_no, extra ...
    assert _rrn_histogram_bounds(world) == loading.IMPORT_STATISTICS_TARGET + 1  # a coarse sample: 40 distinct RRNs
    # four more lines: a tenth of forty at most, the statistics still describe the table
    assert run(world, settings, "journal", write(tmp_path, "few.csv", JOURNAL_HEADER, _lines(100, 4))).imported == 4
    assert _described(world)[0] == 40
    # twenty more: half as many again, analyzed
    assert run(world, settings, "journal", write(tmp_path, "more.csv", JOURNAL_HEADER, _lines(200, 20))).imported == 20
    assert _described(world)[0] == 64


def _rrn_histogram_bounds(world: World) -> int:
    """How many bounds the RRN's histogram has (one more than the statistics target, at most), and that the
    import left its connection's statistics target as it found it."""
    with world.database.unit_of_work() as session:
        assert session.execute(text("SELECT current_setting('default_statistics_target')")).scalar_one() == "100"
        return int(session.execute(text("SELECT array_length(histogram_bounds, 1) FROM pg_stats "
                                        "WHERE tablename = 'journal_lines' AND attname = 'rrn'")).scalar_one())


def test_a_small_import_is_not_analyzed(world: World, settings: Settings, tmp_path: Path) -> None:
    run(world, settings, "journal", write(tmp_path, "day.csv", JOURNAL_HEADER, _lines(1, 40)))
    assert _described(world) == (-1.0, [])
