"""Checkpoints of the audit trail outside the database: the file (mode 0600, only appended to), the
worker's pass, the refusal to checkpoint a trail that went backwards, the tenants' webhook events."""

from __future__ import annotations

import logging
import stat
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from tests.audit.tampering import attack
from tests.support.cli import run_in_process
from tests.support.factories import World

from recoup.audit.chain import Checkpoint, check_checkpoints
from recoup.audit.checkpoint_file import checkpoint_path, read_checkpoints
from recoup.audit.checkpoints import AuditBroken, checkpoint_after_pass, write_checkpoint
from recoup.audit.service import Actor, record, verify
from recoup.audit.setup import AuditNotConfigured, AuditSetup
from recoup.cases.worker import run_pass
from recoup.config import Settings
from recoup.db import Database
from recoup.webhooks.models import WebhookEndpoint, WebhookEvent

WHEN = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def fill(database: Database, n: int, tenant_id: int | None = 1) -> None:
    with database.unit_of_work() as session:
        for i in range(n):
            record(session, Actor("alice", tenant_id, "test"), "thing.change", "thing", str(i), at=WHEN)


def test_the_file_is_private_and_only_grows(database: Database, settings: Settings) -> None:
    fill(database, 3)
    first = write_checkpoint(database, WHEN)
    path = checkpoint_path(settings.audit_checkpoint_folder)
    assert first is not None
    assert first.seq == 3
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    written = path.read_bytes()
    assert write_checkpoint(database, WHEN + timedelta(minutes=1)) == first  # nothing moved: no new line
    assert path.read_bytes() == written
    fill(database, 2)
    path.chmod(0o644)
    second = write_checkpoint(database, WHEN + timedelta(minutes=2))
    assert second is not None
    assert second.seq == 5
    assert path.read_bytes().startswith(written)  # appended after what was there, never rewritten
    assert [c.seq for c in read_checkpoints(settings.audit_checkpoint_folder)] == [3, 5]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert second.at == "2026-03-01T08:02:00+00:00"


def test_each_worker_pass_checkpoints_what_it_committed(world: World, settings: Settings) -> None:
    with world.database.unit_of_work() as session:
        count, found = verify(session)
    assert found is None
    run_pass(world.database, WHEN)
    (checkpoint,) = read_checkpoints(settings.audit_checkpoint_folder)
    assert (checkpoint.seq, checkpoint.at) == (count, WHEN.isoformat())


def test_a_trail_that_went_backwards_is_not_checkpointed(
        database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    fill(database, 6)
    write_checkpoint(database, WHEN)
    attack(database, "truncate the tail", "head row updated")
    fill(database, 1)  # the application goes on writing: a new entry 5
    with pytest.raises(AuditBroken, match="entry 6 no longer matches"):
        write_checkpoint(database, WHEN)
    code, _, err = run_in_process(["audit", "checkpoint"], database.url, monkeypatch, capsys)
    assert code == 1
    assert "run `recoup audit verify`" in err
    with caplog.at_level(logging.WARNING, logger="recoup.audit"):
        checkpoint_after_pass(database, WHEN)
    assert "audit checkpoint not written" in caplog.text
    assert [c.seq for c in read_checkpoints(settings.audit_checkpoint_folder)] == [6]


def test_a_tenant_with_endpoints_gets_a_signed_checkpoint_of_its_own_entries(world: World) -> None:
    tenant_a, tenant_b = world.tenants["A"].id, world.tenants["B"].id
    with world.database.unit_of_work() as session:
        session.add(WebhookEndpoint(tenant_id=tenant_a, url="https://a.example/hook", secret_encrypted="-",
                                    created_by="test"))
    write_checkpoint(world.database, WHEN)  # the factory's entries of A: a first event
    fill(world.database, 2, tenant_a)
    fill(world.database, 1, tenant_b)  # the last entry of all is B's: A must not learn of it
    checkpoint = write_checkpoint(world.database, WHEN + timedelta(minutes=1))
    assert checkpoint is not None
    with world.database.unit_of_work() as session:
        events = list(session.execute(select(WebhookEvent).where(WebhookEvent.type == "audit.checkpoint")
                                      .order_by(WebhookEvent.created_at)).scalars())
    assert [event.tenant_id for event in events] == [tenant_a, tenant_a]
    data = events[-1].payload["data"]
    assert isinstance(data, dict)
    assert (data["seq"], data["scope"]) == (checkpoint.seq - 1, f"tenant:{tenant_a}")
    sent = Checkpoint(**{name: data[name] for name in ("seq", "hash", "at", "key_id", "mac", "scope")})
    assert world.database.audit is not None
    assert check_checkpoints([sent], world.database.audit.secrets()) is None


def test_a_database_opened_without_the_audit_key_refuses_to_write_the_trail(settings: Settings) -> None:
    bare = Database(settings.resolved_database_url)
    try:
        with pytest.raises(AuditNotConfigured, match=r"AuditSetup\.from_settings"), bare.unit_of_work() as session:
            record(session, Actor("alice", 1, "test"), "thing.change", "thing", "1")
        with pytest.raises(AuditNotConfigured):
            write_checkpoint(bare, WHEN)
    finally:
        bare.dispose()
    bound = Database(settings.resolved_database_url, audit=AuditSetup.from_settings(settings))
    try:
        assert write_checkpoint(bound, WHEN) is None  # nothing recorded: nothing to checkpoint
    finally:
        bound.dispose()
