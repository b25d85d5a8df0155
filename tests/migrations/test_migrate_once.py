"""Many processes starting at once against one PostgreSQL migrate it once (SPEC section 11)."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import create_engine, text
from tests.support.postgres import PostgresServer

from recoup.migrations.runner import head_revision


def test_four_processes_upgrading_an_empty_database_at_once_all_succeed(postgres: PostgresServer) -> None:
    admin = create_engine(postgres.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE migrate_once"))
    admin.dispose()
    env = {**os.environ, "RECOUP_DATABASE_URL": postgres.url("migrate_once")}
    processes = [subprocess.Popen([sys.executable, "-m", "recoup", "db", "upgrade"], env=env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    results = [(process.wait(timeout=120), process.stderr.read() if process.stderr else "") for process in processes]
    assert [code for code, _ in results] == [0, 0, 0, 0], results
    engine = create_engine(postgres.url("migrate_once"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head_revision()]
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 0
    engine.dispose()
