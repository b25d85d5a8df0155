"""The schema evolves by new Alembic revisions only: a database filled at the previous head upgrades to
the new head with every row and value kept, and the models match what the migrations build."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData, create_engine, insert, select, text
from tests.support.demo_cache import copy_of_demo
from tests.support.postgres import PostgresServer

from recoup.db import make_engine
from recoup.migrations.metadata import all_metadata
from recoup.migrations.runner import head_revision, upgrade

FIRST = "0001"  # every revision's change of stored rows, from the first schema on
PREVIOUS_HEAD = "0016"  # the newest revision's alone


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The demo data set (users, merchants, weeks of transactions, findings, cases, actions, ledger, audit)."""
    folder = tmp_path_factory.mktemp("filled")  # a copy of the session's one demo build (built once, shared)
    copied = copy_of_demo(tmp_path_factory.getbasetemp(), folder / "var")
    return make_engine(f"sqlite:///{copied / 'recoup.db'}")


def _target(kind: str, tmp_path: Path, postgres: PostgresServer | None) -> Engine:
    if kind == "sqlite":
        return make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    assert postgres is not None
    admin = create_engine(postgres.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS upgrade_check"))
        connection.execute(text("CREATE DATABASE upgrade_check"))
    admin.dispose()
    return make_engine(postgres.url("upgrade_check"))


def _rows(engine: Engine, table_names: list[str], columns: dict[str, list[str]]) -> dict[str, list[tuple[object, ...]]]:
    found = MetaData()
    found.reflect(engine, only=table_names)
    rows = {}
    with engine.connect() as connection:
        for name in table_names:
            table = found.tables[name]
            chosen = [table.c[column] for column in columns[name]]
            rows[name] = sorted((tuple(row) for row in connection.execute(select(*chosen))), key=repr)
    return rows


def _copy_at(revision: str, source: Engine, target: Engine) -> dict[str, list[str]]:
    """Create the schema of `revision` in `target` and copy every row of `source` into it (its columns)."""
    upgrade(target, revision)
    old = MetaData()
    old.reflect(target)
    tables = [table for table in old.sorted_tables if table.name != "alembic_version"]
    columns = {table.name: [column.name for column in table.columns] for table in tables}
    data = _rows(source, list(columns), columns)
    with target.begin() as connection:
        for table in tables:
            if data[table.name]:
                connection.execute(insert(table), [dict(zip(columns[table.name], row, strict=True))
                                                   for row in data[table.name]])
        if target.dialect.name == "postgresql":  # identities continue after the copied ids
            for table in tables:
                for column in table.primary_key.columns:
                    if column.autoincrement is True or column.identity is not None:
                        connection.execute(text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                            f"coalesce(max({column.name}), 1)) FROM {table.name}"))
    return columns


@pytest.mark.slow
@pytest.mark.parametrize("start", [FIRST, PREVIOUS_HEAD])
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_database_filled_at_an_earlier_head_keeps_every_row_through_the_upgrade(
        kind: str, start: str, filled: Engine, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    postgres = request.getfixturevalue("postgres") if kind == "postgresql" else None
    target = _target(kind, tmp_path, postgres)
    columns = _copy_at(start, filled, target)
    before = _rows(target, list(columns), columns)
    assert sum(len(rows) for rows in before.values()) > 10_000  # a living system, not an empty schema
    upgrade(target)
    assert _rows(target, list(columns), columns) == before
    with target.connect() as connection:
        kinds: dict[str, str] = dict(connection.execute(text("SELECT name, kind FROM api_tokens")).tuples().all())
        assert all(kind == ("login" if name == "api-login" else "personal") for name, kind in kinds.items())
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head_revision()
    target.dispose()


def test_the_models_match_what_the_migrations_build(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), all_metadata())
    engine.dispose()
    assert differences == []
