"""PostgreSQL goes away under a running `recoup worker` and the web: both say so in one clear line (a 503
for the web, a log line for the worker — no traceback), nothing is changed meanwhile, and when the database
is back the worker resumes by itself and sends what was queued, each message once."""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from tests.cases.test_worker_processes import _worker
from tests.messaging.conftest import Received, smtp_server  # noqa: F401 (the SMTP server on loopback)
from tests.support.factories import build_world, token_for
from tests.support.postgres import PostgresServer, _as_owner, _bin, start_postgres
from tests.web.test_page_validation import log_in

from recoup.audit.setup import AuditSetup
from recoup.config import Settings
from recoup.db import Database, utcnow
from recoup.messaging.models import OutboxMessage
from recoup.messaging.outbox import enqueue
from recoup.migrations.runner import upgrade

BATCH = 10


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A server of this test's own: it is stopped and started again, which the shared one must not be."""
    server = start_postgres()
    engine = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("CREATE DATABASE recoup"))
    engine.dispose()
    yield server
    server.stop()


def _pg_ctl(server: PostgresServer, *args: str) -> None:
    options = (f"-c listen_addresses=127.0.0.1 -p {server.port} -k {server.folder} -c fsync=off "
               "-c full_page_writes=off")
    data = str(server.folder / "data")
    if args[0] == "start":
        _as_owner([_bin("pg_ctl"), "-D", data, "-o", options, "-l", str(server.folder / "log"), "-w", "start"])
    else:  # as a crash or a pulled cable would: no clean goodbye to the connected clients
        _as_owner([_bin("pg_ctl"), "-D", data, "-m", "immediate", "stop"])


def _queue(database: Database, settings: Settings, tenant_id: int, first: int) -> None:
    with database.unit_of_work() as session:
        for n in range(first, first + BATCH):
            enqueue(session, tenant_id=tenant_id, channel="email", to=f"payer{n}@example.com",
                    subject=f"message {n}", body="hello", now=utcnow() - timedelta(minutes=1),
                    keys=settings.keyring())


def _wait_for(condition: object, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_the_worker_and_the_web_wait_out_a_database_that_goes_away_and_lose_nothing(
        own_postgres: PostgresServer, tmp_path: Path, smtp_server: tuple[int, Received]) -> None:  # noqa: F811
    port, received = smtp_server
    url = own_postgres.url("recoup")
    settings = Settings(database_url=url, var_dir=tmp_path / "var", secret_key="test-secret",
                        card_token_key="test-card-key")
    database = Database(url, audit=AuditSetup.from_settings(settings))
    upgrade(database.engine)
    world = build_world(database)
    tenant_id = world.tenants["A"].id
    token = token_for(database, "a-merchant_finance")
    _queue(database, settings, tenant_id, 0)
    worker = _worker(settings, port)
    try:
        _wait_for(lambda: len(received.messages) == BATCH)
        from recoup.web.app import create_app

        with TestClient(create_app(settings, database)) as client:
            log_in(client, "zh_CN", "a-merchant_finance")
            _pg_ctl(own_postgres, "stop")
            answer = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 503
            assert answer.headers["Retry-After"] == "30"
            assert answer.json()["error"].startswith("the database cannot be reached or is busy just now: "
                                                     "nothing was changed")
            page = client.get("/cases")
            assert page.status_code == 503
            assert "数据库暂时无法连接或正忙：没有做任何更改；请一分钟后重试" in page.text
            assert "Traceback" not in page.text
        time.sleep(2)  # several of the worker's passes (every 0.5 s) meet the closed door
        assert worker.poll() is None, "the worker must outlive the outage"
        _pg_ctl(own_postgres, "start")
        _queue(database, settings, tenant_id, BATCH)
        _wait_for(lambda: len(received.messages) >= 2 * BATCH)
    finally:
        worker.send_signal(signal.SIGTERM)
        _out, err = worker.communicate(timeout=60)
        database.dispose()
    assert Counter(str(m["Subject"]) for m in received.messages) == Counter(f"message {n}" for n in range(2 * BATCH))
    assert "the database cannot be reached" in err
    assert "retries every 0.5 s, nothing is lost" in err
    assert "the database answers again: the worker resumes" in err
    assert err.count("the database cannot be reached") == 1  # once per outage, not once per pass
    assert "Traceback" not in err
    with Database(url, audit=AuditSetup.from_settings(settings)).unit_of_work() as session:
        assert session.execute(select(func.count()).select_from(OutboxMessage)
                               .where(OutboxMessage.state != "SENT")).scalar_one() == 0
