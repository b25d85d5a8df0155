"""After a big rollup refresh PostgreSQL gets fresh statistics of the rollup tables at once: a report run right
after a first build, planned on empty statistics, took 40 s instead of 1 (bench/reports.py, cold run)."""

from __future__ import annotations

from sqlalchemy import text
from tests.cases.test_case_world import journal_line
from tests.support.factories import World

from recoup.reports import rollup


def _analyzed(world: World) -> bool:
    with world.database.engine.connect() as connection:
        return connection.execute(text(
            "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'report_terminal_days'")
        ).scalar() is True


def test_a_big_refresh_analyzes_the_rollups_on_postgresql(world: World) -> None:
    with world.database.unit_of_work() as session:
        journal_line(session, world.tenants["A"].id, "SALE", "440000000001", 1000)
    postgresql = world.database.engine.dialect.name == "postgresql"
    if postgresql:
        assert not _analyzed(world)
    assert rollup.refresh(world.database, analyze_after=2) == 1  # below the mark: no ANALYZE
    if postgresql:
        assert not _analyzed(world)
    with world.database.unit_of_work() as session:
        journal_line(session, world.tenants["A"].id, "SALE", "440000000002", 1000)
        journal_line(session, world.tenants["A"].id, "SALE", "440000000003", 1000)
    assert rollup.refresh(world.database, analyze_after=2) == 2
    if postgresql:
        assert _analyzed(world)
