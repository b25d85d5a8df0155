"""Issue 15: fewer round trips to PostgreSQL per request, with the same guarantees.

Pooled connections are no longer pinged on every checkout: one that sat idle is, so a database restarted
while the web was quiet costs no request at all; one that broke under load fails its own request (a 503
"try again") and the next request connects afresh. A unit of work that reads first (every GET) sends no
BEGIN or COMMIT while it only reads, and is one transaction again from its first write or lock on: what
it wrote still rolls back when it fails, and a row it locked stays locked until it ends."""

from __future__ import annotations

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from tests.cases.test_worker_db_outage import _pg_ctl, own_postgres  # noqa: F401 (a server of the test's own)
from tests.support.factories import World
from tests.support.postgres import PostgresServer

from recoup import db
from recoup.auth.models import Tenant
from recoup.db import Database


def _answer(database: Database) -> int:
    with database.unit_of_work() as session:
        return int(session.execute(text("SELECT 41 + 1")).scalar_one())


def _restart(server: PostgresServer) -> None:
    _pg_ctl(server, "stop")
    _pg_ctl(server, "start")


def test_a_restarted_database_costs_at_most_one_request_and_none_after_a_quiet_spell(
        own_postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    database = Database(own_postgres.url("recoup"))
    try:
        assert _answer(database) == 42
        monkeypatch.setattr(db, "IDLE_PING_SECONDS", 3600.0)  # under load: the connection was used a moment ago
        _restart(own_postgres)
        with pytest.raises(OperationalError):
            _answer(database)
        assert _answer(database) == 42  # the failure invalidated the pool: a fresh connection
        monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # a quiet spell: the connection idled past the limit
        _restart(own_postgres)
        assert _answer(database) == 42
    finally:
        database.dispose()


def _status(session: Session) -> TransactionStatus | None:
    raw = session.connection().connection.dbapi_connection
    return None if session.get_bind().dialect.name != "postgresql" else raw.info.transaction_status  # type: ignore[union-attr]


def _tenants(world: World) -> set[str]:
    with world.database.unit_of_work() as session:
        return set(session.execute(select(Tenant.code)).scalars())


def _read_then_write_then_fail(world: World) -> None:
    with world.database.unit_of_work(reads_first=True) as session:
        assert session.execute(select(Tenant.code).where(Tenant.code == "A")).scalar_one() == "A"
        assert _status(session) in {None, TransactionStatus.IDLE}  # no BEGIN was sent for the read
        session.add(Tenant(code="C1", name="first"))
        session.flush()
        assert _status(session) in {None, TransactionStatus.INTRANS}
        session.add(Tenant(code="C2", name="second"))
        session.flush()
        raise RuntimeError("the request fails after two writes")


def test_reading_first_then_writing_is_still_one_transaction(world: World) -> None:
    with pytest.raises(RuntimeError, match="two writes"):
        _read_then_write_then_fail(world)
    assert _tenants(world) == {"A", "B"}  # both writes rolled back together
    with world.database.unit_of_work(reads_first=True) as session:
        session.execute(select(Tenant.code)).all()
        session.add(Tenant(code="C3", name="third"))
    assert _tenants(world) == {"A", "B", "C3"}


def test_a_row_locked_after_reading_first_stays_locked_until_the_end(postgres_url: str) -> None:
    from recoup.migrations.runner import upgrade

    database = Database(postgres_url)
    other = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        upgrade(database.engine)
        with database.unit_of_work() as session:
            session.add(Tenant(code="L", name="locked"))
        with database.unit_of_work(reads_first=True) as session:
            session.execute(select(Tenant.id)).all()
            session.execute(select(Tenant).where(Tenant.code == "L").with_for_update()).scalar_one()
            with other.connect() as probe, pytest.raises(OperationalError, match="could not obtain lock"):
                probe.execute(text("SELECT id FROM tenants WHERE code = 'L' FOR UPDATE NOWAIT"))
        with other.connect() as probe:  # released at the end of the unit of work
            assert probe.execute(text("SELECT code FROM tenants WHERE code = 'L' FOR UPDATE NOWAIT")).scalar() == "L"
    finally:
        other.dispose()
        database.dispose()
