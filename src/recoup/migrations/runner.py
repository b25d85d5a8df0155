"""Applying migrations from code (`recoup db upgrade`, `make run`, the tests)."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

HERE = Path(__file__).parent


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["engine"] = engine
    return config


# Any constant shared by every Recoup process: the advisory lock that lets one process migrate at a time.
_MIGRATION_LOCK = 0x5245434F55500001


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply what is missing. Several processes starting at once (serve, workers) migrate once: on
    PostgreSQL each waits for an advisory lock held until its transaction ends, then finds nothing to do."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@functools.cache  # the shipped revision files do not change while a process runs (/readyz asks every probe)
def head_revision() -> str:
    """The newest revision this version of Recoup ships."""
    head = ScriptDirectory(str(HERE)).get_current_head()
    return head or ""


def current_revision(connection: Connection) -> str:
    """The revision the database is at ("" when it was never migrated)."""
    return MigrationContext.configure(connection).get_current_revision() or ""


def autogenerate(engine: Engine, message: str) -> None:
    """Developer helper: write a new revision from the difference between models and database."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
