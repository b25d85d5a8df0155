"""Several `recoup worker` processes on one PostgreSQL: 1,000 outbox messages and 500 overdue cases, each
handled exactly once (messages counted by Message-ID at a real SMTP server on loopback, escalations by the
case timeline); SIGTERM stops each worker after the item under way, with nothing left half done."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from tests.cases.test_case_world import MERCHANT_A, admin
from tests.messaging.conftest import Received, smtp_server  # noqa: F401 (the SMTP server on loopback)
from tests.support.factories import World

from recoup.cases.models import Case, CaseEvent
from recoup.cases.opening import OpenRequest, open_case
from recoup.config import Settings
from recoup.db import utcnow
from recoup.messaging.models import OutboxMessage
from recoup.messaging.outbox import enqueue

MESSAGES, CASES, WORKERS = 1000, 500, 3


def _fill(world: World, settings: Settings) -> None:
    started = utcnow() - timedelta(days=6)  # past the merchant rung's two days: every case is overdue now
    keys = settings.keyring()
    with world.database.unit_of_work() as session:
        for n in range(MESSAGES):
            enqueue(session, tenant_id=world.tenants["A"].id, channel="email", to=f"payer{n}@example.com",
                    subject=f"message {n}", body="hello", now=started, keys=keys)
        for _ in range(CASES):
            open_case(session, admin(world), OpenRequest(merchant_id=MERCHANT_A, amount="5.00"), started)


def _worker(settings: Settings, port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "RECOUP_DATABASE_URL": settings.resolved_database_url, "RECOUP_VAR_DIR": str(settings.var_dir),
           "RECOUP_SECRET_KEY": "test-secret", "RECOUP_CARD_TOKEN_KEY": "test-card-key",
           "RECOUP_SMTP_HOST": "127.0.0.1", "RECOUP_SMTP_PORT": str(port), "RECOUP_DB_POOL_SIZE": "2"}
    return subprocess.Popen([sys.executable, "-m", "recoup", "worker", "--interval", "0.5"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _left(world: World) -> tuple[int, int]:
    """Messages not yet sent, cases still on the merchant rung."""
    with world.database.unit_of_work() as session:
        unsent = session.execute(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.state != "SENT")).scalar_one()
        waiting = session.execute(select(func.count()).select_from(Case).where(Case.rung == "MERCHANT")).scalar_one()
    return int(unsent), int(waiting)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_several_worker_processes_send_each_message_and_escalate_each_case_exactly_once(
        world: World, settings: Settings, smtp_server: tuple[int, Received]) -> None:  # noqa: F811
    port, received = smtp_server
    _fill(world, settings)
    workers = [_worker(settings, port) for _ in range(WORKERS)]
    deadline = time.monotonic() + 600  # ends as soon as all is done; a machine shared with other work is slow
    while _left(world) != (0, 0) and time.monotonic() < deadline and all(w.poll() is None for w in workers):
        time.sleep(0.5)
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    outputs = [worker.communicate(timeout=60) for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * WORKERS, outputs
    assert all(out.rstrip().endswith("worker stopped") for out, _ in outputs), outputs
    assert _left(world) == (0, 0)
    subjects = Counter(str(message["Subject"]) for message in received.messages)
    assert len(subjects) == MESSAGES
    assert set(subjects.values()) == {1}
    with world.database.unit_of_work() as session:
        escalated = Counter(session.execute(select(CaseEvent.case_id).where(CaseEvent.event == "escalated")).scalars())
    assert len(escalated) == CASES
    assert set(escalated.values()) == {1}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_sigterm_stops_a_busy_worker_between_items_and_another_finishes_the_rest(
        world: World, settings: Settings, smtp_server: tuple[int, Received]) -> None:  # noqa: F811
    port, received = smtp_server
    with world.database.unit_of_work() as session:
        for n in range(120):
            enqueue(session, tenant_id=world.tenants["A"].id, channel="email", to=f"payer{n}@example.com",
                    subject=f"message {n}", body="hello", now=utcnow() - timedelta(minutes=1),
                    keys=settings.keyring())
    first = _worker(settings, port)
    while len(received.messages) < 10 and first.poll() is None:
        time.sleep(0.02)
    first.send_signal(signal.SIGTERM)
    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert out.rstrip().endswith("worker stopped")
    with world.database.unit_of_work() as session:
        states = Counter(session.execute(select(OutboxMessage.state)).scalars())
    assert set(states) <= {"SENT", "QUEUED"}, states  # none left claimed half-way
    assert states["SENT"] == len(received.messages) < 120
    second = _worker(settings, port)
    while _left(world)[0] and second.poll() is None:
        time.sleep(0.2)
    second.send_signal(signal.SIGTERM)
    second.communicate(timeout=60)
    assert Counter(str(m["Subject"]) for m in received.messages) == Counter(f"message {n}" for n in range(120))
