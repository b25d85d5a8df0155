"""`kill -9` of the sender in the middle of the outbox: after a restart each message is sent exactly once
(counted by Message-ID at a real SMTP server on loopback)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select
from tests.messaging.conftest import Received
from tests.support.cli import run_in_process
from tests.support.factories import World

from recoup.config import Settings
from recoup.db import utcnow
from recoup.messaging.delivery import PAUSE_VARIABLE
from recoup.messaging.models import OutboxMessage
from recoup.messaging.outbox import enqueue


def _worker(settings: Settings, port: int, pause: float) -> subprocess.Popen[str]:
    env = {**os.environ, "RECOUP_DATABASE_URL": settings.resolved_database_url, "RECOUP_VAR_DIR": str(settings.var_dir),
           "RECOUP_SECRET_KEY": "test-secret", "RECOUP_CARD_TOKEN_KEY": "test-card-key",
           "RECOUP_SMTP_HOST": "127.0.0.1", "RECOUP_SMTP_PORT": str(port), PAUSE_VARIABLE: str(pause)}
    return subprocess.Popen([sys.executable, "-m", "recoup", "worker", "--once"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _states(world: World) -> list[str]:
    with world.database.unit_of_work() as session:
        return list(session.execute(select(OutboxMessage.state).order_by(OutboxMessage.id)).scalars())


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_sender_killed_mid_outbox_sends_each_message_exactly_once_after_restart(
        world: World, settings: Settings, smtp_server: tuple[int, Received], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    port, received = smtp_server
    with world.database.unit_of_work() as session:
        for n in range(3):
            enqueue(session, tenant_id=world.tenants["A"].id, channel="email", to=f"payer{n}@example.com",
                    subject=f"message {n}", body="hello", now=utcnow() - timedelta(minutes=1),
                    keys=settings.keyring())
    first = _worker(settings, port, pause=30)  # a real `recoup worker --once`: sends one, records it, pauses
    deadline = time.monotonic() + 20
    while _states(world)[:1] != ["SENT"] and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.05)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    assert _states(world) == ["SENT", "QUEUED", "QUEUED"], first.stderr.read() if first.stderr else ""
    assert len(received.messages) == 1
    monkeypatch.setenv("RECOUP_SMTP_HOST", "127.0.0.1")  # the restart: the same command, in this process
    monkeypatch.setenv("RECOUP_SMTP_PORT", str(port))
    restarted = run_in_process(["worker", "--once"], settings.resolved_database_url, monkeypatch, capsys)
    assert restarted.code == 0, restarted.err
    assert "2 messages sent" in restarted.out
    assert _states(world) == ["SENT", "SENT", "SENT"]
    counted = Counter(received.message_ids)
    assert len(counted) == 3
    assert set(counted.values()) == {1}
    assert sorted(str(m["To"]) for m in received.messages) == [f"payer{n}@example.com" for n in range(3)]
