"""The transactional outbox of messages (SPEC section 7): written with the change that decided it, sent by
the worker (messaging.delivery), so a crash or an outage loses no message and sends none twice.

A message is QUEUED; a sender claims it (SENDING, with a lease in `claimed_until`), one at a time,
under `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite: one writer at a time, BEGIN IMMEDIATE);
SENT is recorded in its own transaction right after the server accepted it. A failure makes it FAILED
with its reason, tried again after the backoff of messaging.rules; after the last attempt it is DEAD.
A sender killed mid-way leaves a lease that expires, and the message is claimed again.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recoup.config import get_settings
from recoup.db import exclusive
from recoup.errors import InvalidInput
from recoup.keys.ring import KeyRing
from recoup.keys.sealing import Sealer
from recoup.messaging.models import OutboxMessage
from recoup.messaging.rules import (
    MessageState,
    RuleError,
    mask,
    next_attempt,
    normalise_address,
    parse_channel,
    refusal,
)

LEASE = timedelta(minutes=2)
MAX_SMS = 1000


def enqueue(session: Session, *, tenant_id: int, channel: str, to: str, subject: str, body: str, now: datetime,
            case_id: int | None = None, complaint_id: int | None = None, purpose: str = "message",
            dedupe_key: str | None = None, keys: KeyRing | None = None, created_by: str = "",
            template_key: str = "") -> OutboxMessage:
    """Put one message in the outbox (flushed, not committed). The address is checked and normalised,
    stored sealed and shown masked; a second enqueue with the same `dedupe_key` returns the first."""
    try:
        chosen = parse_channel(channel)
        address = normalise_address(chosen, to)
    except RuleError as bad:
        raise InvalidInput(str(bad), detail=refusal(bad)) from bad
    if chosen.value == "sms" and len(body) > MAX_SMS:
        raise InvalidInput(f"an SMS has at most {MAX_SMS} characters")
    if dedupe_key is not None:
        exclusive(session)  # SQLite: one writer from here on, so the look-up below stays true
        found = _by_dedupe_key(session, dedupe_key)
        if found is not None:
            return found
    uid = secrets.token_hex(16)
    sealed = Sealer(keys or get_settings().keyring()).seal(address, _context(uid))
    message = OutboxMessage(
        uid=uid, tenant_id=tenant_id, case_id=case_id, complaint_id=complaint_id, purpose=purpose,
        template_key=template_key, channel=chosen.value, to_sealed=sealed or "", to_masked=mask(address),
        subject=subject.replace("\r", " ").replace("\n", " ").strip(), body=body, state=MessageState.QUEUED.value,
        attempts=0, next_attempt_at=now, dedupe_key=dedupe_key, created_by=created_by, created_at=now)
    if dedupe_key is None or session.get_bind().dialect.name == "sqlite":
        session.add(message)
        session.flush()
        return message
    try:
        with session.begin_nested():  # PostgreSQL, two callers racing with one key: the loser reads the winner's
            session.add(message)
    except IntegrityError:
        found = _by_dedupe_key(session, dedupe_key)
        if found is None:
            raise
        return found
    return message


def _by_dedupe_key(session: Session, dedupe_key: str) -> OutboxMessage | None:
    return session.execute(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)).scalar_one_or_none()


def _context(uid: str) -> str:
    return f"outbox:{uid}"


def open_address(message: OutboxMessage, keys: KeyRing) -> str:
    return Sealer(keys).open(message.to_sealed, _context(message.uid)) or ""


@dataclass(frozen=True)
class Claimed:
    id: int
    uid: str
    tenant_id: int
    case_id: int | None
    channel: str
    to_sealed: str
    to_masked: str
    subject: str
    body: str
    attempts: int


def claim_next(session: Session, now: datetime) -> Claimed | None:
    """The next due message, marked SENDING under a lease (caller commits at once); None: nothing due."""
    exclusive(session)
    due = or_(
        (OutboxMessage.state.in_((MessageState.QUEUED.value, MessageState.FAILED.value)))
        & (OutboxMessage.next_attempt_at <= now),
        (OutboxMessage.state == MessageState.SENDING.value) & (OutboxMessage.claimed_until < now),
    )
    message = session.execute(select(OutboxMessage).where(due).order_by(OutboxMessage.id).limit(1)
                              .with_for_update(skip_locked=True)).scalar_one_or_none()
    if message is None:
        return None
    message.state = MessageState.SENDING.value
    message.claimed_until = now + LEASE
    session.flush()
    return Claimed(message.id, message.uid, message.tenant_id, message.case_id, message.channel,
                   message.to_sealed, message.to_masked, message.subject, message.body, message.attempts)


def mark_sent(message: OutboxMessage, now: datetime, provider_id: str) -> None:
    message.attempts += 1
    message.state = MessageState.SENT.value
    message.sent_at = now
    message.provider_id = provider_id[:200]
    message.claimed_until = None
    message.last_error = ""


def mark_failed(message: OutboxMessage, now: datetime, reason: str) -> None:
    """FAILED and tried again after the backoff, or DEAD after the last attempt."""
    message.attempts += 1
    message.last_error = reason[:1000]
    message.claimed_until = None
    retry_at = next_attempt(message.attempts, now)
    if retry_at is None:
        message.state = MessageState.DEAD.value
        return
    message.state = MessageState.FAILED.value
    message.next_attempt_at = retry_at


def retry_now(message: OutboxMessage, now: datetime) -> None:
    """A person asks for a failed or dead message to be tried again at once (attempts start over)."""
    if message.state not in (MessageState.FAILED.value, MessageState.DEAD.value):
        raise InvalidInput("only a failed or given-up message is retried")
    message.state = MessageState.QUEUED.value
    message.attempts = 0
    message.next_attempt_at = now
