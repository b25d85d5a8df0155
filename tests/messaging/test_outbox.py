"""The outbox on both engines: sealed addresses, dedupe, one claim per message, retries with backoff,
DEAD after the last attempt, a lease that a killed sender left behind (SPEC section 7)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from tests.messaging.conftest import NOW
from tests.support.factories import World

from recoup.config import Settings
from recoup.db import Database
from recoup.errors import InvalidInput
from recoup.messaging.delivery import deliver_due
from recoup.messaging.models import OutboxMessage
from recoup.messaging.outbox import LEASE, claim_next, enqueue, open_address
from recoup.messaging.rules import BACKOFF, MAX_ATTEMPTS
from recoup.messaging.transports import DeliveryFailed, Outgoing


class Recorder:
    """A sender that records what it was given, failing the first `failures` times."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.sent: list[Outgoing] = []

    def send(self, message: Outgoing) -> str:
        if self.failures:
            self.failures -= 1
            raise DeliveryFailed("SMTP 127.0.0.1:1 unreachable: ConnectionRefusedError")
        self.sent.append(message)
        return message.message_id


def _enqueue(world: World, settings: Settings, to: str = "Payer@Example.com", dedupe_key: str | None = None,
             channel: str = "email") -> int:
    with world.database.unit_of_work() as session:
        return enqueue(session, tenant_id=world.tenants["A"].id, channel=channel, to=to, subject="Hello",
                       body="about your payment", now=NOW, dedupe_key=dedupe_key, keys=settings.keyring()).id


def _message(database: Database, message_id: int) -> OutboxMessage:
    with database.unit_of_work() as session:
        found = session.get(OutboxMessage, message_id)
        assert found is not None
        return found


def test_the_address_is_stored_sealed_shown_masked_and_a_dedupe_key_enqueues_once(world: World,
                                                                                   settings: Settings) -> None:
    first = _enqueue(world, settings, dedupe_key="complaint:7:answer")
    assert _enqueue(world, settings, dedupe_key="complaint:7:answer") == first
    stored = _message(world.database, first)
    assert "example.com" not in stored.to_sealed
    assert stored.to_masked == "P***@example.com"
    assert open_address(stored, settings.keyring()) == "Payer@example.com"
    assert (stored.state, stored.attempts) == ("QUEUED", 0)
    with world.database.unit_of_work() as session:
        assert len(session.execute(select(OutboxMessage)).scalars().all()) == 1


@pytest.mark.parametrize(("channel", "to"), [("email", "not-an-address"), ("sms", "12345"), ("fax", "+8613800138000")])
def test_a_bad_address_or_channel_is_refused_and_nothing_is_queued(world: World, settings: Settings, channel: str,
                                                                   to: str) -> None:
    with pytest.raises(InvalidInput):
        _enqueue(world, settings, to=to, channel=channel)
    with world.database.unit_of_work() as session:
        assert session.execute(select(OutboxMessage)).first() is None


def test_a_failed_message_is_retried_after_the_backoff_and_dead_after_the_last_attempt(
        world: World, settings: Settings) -> None:
    message_id = _enqueue(world, settings)
    sender = Recorder(failures=MAX_ATTEMPTS)
    moment = NOW
    for attempt, wait in enumerate(BACKOFF, start=1):
        report = deliver_due(world.database, settings, now=moment, senders={"email": sender})
        assert report.failed == 1
        stored = _message(world.database, message_id)
        assert (stored.state, stored.attempts, stored.next_attempt_at) == ("FAILED", attempt, moment + wait)
        assert "unreachable" in stored.last_error
        assert deliver_due(world.database, settings, now=moment + wait - timedelta(seconds=1),
                           senders={"email": sender}).failed == 0  # not before its time
        moment += wait
    assert deliver_due(world.database, settings, now=moment, senders={"email": sender}).dead == 1
    assert _message(world.database, message_id).state == "DEAD"
    assert deliver_due(world.database, settings, now=moment + timedelta(days=9), senders={"email": sender}) \
        .sent == 0
    assert sender.sent == []


def test_a_lease_left_by_a_killed_sender_expires_and_the_message_goes_once(world: World, settings: Settings) -> None:
    message_id = _enqueue(world, settings)
    with world.database.unit_of_work() as session:
        assert claim_next(session, NOW) is not None  # ... and the sender dies before sending
    sender = Recorder()
    assert deliver_due(world.database, settings, now=NOW + LEASE - timedelta(seconds=1),
                       senders={"email": sender}).sent == 0
    assert deliver_due(world.database, settings, now=NOW + LEASE + timedelta(seconds=1),
                       senders={"email": sender}).sent == 1
    assert deliver_due(world.database, settings, now=NOW + 2 * LEASE, senders={"email": sender}).sent == 0
    stored = _message(world.database, message_id)
    assert (stored.state, stored.attempts, [m.outbox_id for m in sender.sent]) == ("SENT", 1, [message_id])


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite has one writer at a time
def test_two_senders_never_claim_the_same_message(world: World, settings: Settings) -> None:
    ids = {_enqueue(world, settings, to=f"p{n}@example.com") for n in range(2)}
    first, second, third = (world.database.sessions() for _ in range(3))
    try:
        claimed_first = claim_next(first, NOW)  # holds its row lock until it commits
        claimed_second = claim_next(second, NOW)  # skips the locked row, takes the other
        assert claim_next(third, NOW) is None  # both are locked: nothing for a third sender
        assert claimed_first is not None
        assert claimed_second is not None
        assert {claimed_first.id, claimed_second.id} == ids
        first.commit()
        second.commit()
    finally:
        for session in (first, second, third):
            session.close()
