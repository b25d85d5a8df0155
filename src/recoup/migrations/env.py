"""Alembic environment: runs against the engine handed over in the config attributes."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from recoup.migrations.metadata import all_metadata

config = context.config
target_metadata = all_metadata()


def run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through recoup.migrations.runner")
run(connection)
