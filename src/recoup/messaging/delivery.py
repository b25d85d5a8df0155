"""Delivering the outbox (one pass of `recoup worker`): claim one due message, send it, record the outcome.

Each message goes through three short transactions: the claim (SENDING under a lease), the send (no
transaction held while the server is talked to), the outcome (SENT, or FAILED/DEAD with the reason),
recorded right after the server answered. The message's files (messaging.attachments) are read in the
claim's transaction and go out with it, on every attempt and after a "retry now" alike. A killed sender
leaves at most the one message it held claimed; its lease expires and it is sent again, with the same
Message-ID (see messaging.transports).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from recoup.audit.service import Actor, record
from recoup.cases.models import Case
from recoup.cases.recording import add_event
from recoup.config import Settings
from recoup.db import Database, utcnow
from recoup.errors import RecoupError
from recoup.keys.sealing import SealedUnreadable, Sealer
from recoup.messaging.attachments import attachments_of
from recoup.messaging.models import OutboxMessage
from recoup.messaging.outbox import Claimed, claim_next, mark_failed, mark_sent
from recoup.messaging.rules import MessageState
from recoup.messaging.transports import Attachment, DeliveryFailed, Outgoing, Sender, email_of, senders_for
from recoup.messaging.vault import keep

log = logging.getLogger("recoup.messaging")
WORKER = Actor("worker", None, "worker")
# A pause after each message (seconds): lets a test kill the sender between two messages.
PAUSE_VARIABLE = "RECOUP_OUTBOX_PAUSE_SECONDS"


@dataclass
class OutboxReport:
    sent: int = 0
    failed: int = 0
    dead: int = 0


def deliver_due(database: Database, settings: Settings, *, now: datetime | None = None,
                senders: dict[str, Sender] | None = None, limit: int = 200,
                stop: Callable[[], bool] | None = None) -> OutboxReport:
    """Send every message due at `now` (at most `limit`), one at a time; returns what happened. Once
    `stop()` answers true no further message is claimed (the worker's SIGTERM)."""
    report = OutboxReport()
    chosen = senders or senders_for(settings)
    pause = float(os.environ.get(PAUSE_VARIABLE, "0") or 0)
    for _ in range(limit):
        if stop is not None and stop():
            break
        moment = now or utcnow()
        with database.unit_of_work() as session:
            claimed = claim_next(session, moment)
            files = attachments_of(session, claimed.id) if claimed is not None else ()
        if claimed is None:
            break
        outgoing, error = _prepare(claimed, settings, files)
        provider_id = ""
        if outgoing is not None:
            try:
                provider_id = chosen[claimed.channel].send(outgoing)
            except DeliveryFailed as failure:
                error = str(failure)
        with database.unit_of_work() as session:
            state = _record_outcome(session, claimed, error, provider_id, now or utcnow())
        report.sent += state == MessageState.SENT
        report.failed += state == MessageState.FAILED
        report.dead += state == MessageState.DEAD
        if state == MessageState.SENT and outgoing is not None:
            _keep_as_evidence(database, settings, claimed, outgoing, now or utcnow())
        if pause:
            time.sleep(pause)
    return report


def _prepare(claimed: Claimed, settings: Settings,
             files: tuple[Attachment, ...] = ()) -> tuple[Outgoing | None, str]:
    try:
        address = Sealer(settings.keyring()).open(claimed.to_sealed, f"outbox:{claimed.uid}") or ""
    except SealedUnreadable as error:
        return None, f"the address does not open: {error.message}"
    return Outgoing(claimed.id, claimed.uid, address, claimed.subject, claimed.body, files), ""


def _record_outcome(session: Session, claimed: Claimed, error: str, provider_id: str, now: datetime) -> str:
    message = session.get(OutboxMessage, claimed.id, with_for_update=True)
    if message is None or message.state != MessageState.SENDING.value or message.attempts != claimed.attempts:
        return ""  # another sender took it over after our lease ran out: its outcome stands
    if error:
        mark_failed(message, now, error)
    else:
        mark_sent(message, now, provider_id)
    _on_record(session, message, now)
    return message.state


def _on_record(session: Session, message: OutboxMessage, now: datetime) -> None:
    what = {"id": message.id, "channel": message.channel, "to": message.to_masked, "state": message.state,
            "attempts": message.attempts}
    if message.state == MessageState.FAILED.value:
        log.warning("message %s failed (attempt %s): %s", message.id, message.attempts, message.last_error)
    record(session, WORKER, f"message.{message.state.lower()}", "message", str(message.id),
           tenant_id=message.tenant_id, after=what, note=message.last_error, at=now)
    case = session.get(Case, message.case_id) if message.case_id is not None else None
    if case is not None and message.purpose != "alert":
        note = f"{message.channel} {message.to_masked}: {message.subject or message.body[:60]}"
        if message.last_error:
            note += f" ({message.last_error})"
        add_event(session, case, WORKER.name, f"message_{message.state.lower()}", note,
                  data={"message_id": message.id, "attempts": message.attempts}, now=now)


def _keep_as_evidence(database: Database, settings: Settings, claimed: Claimed, outgoing: Outgoing,
                      now: datetime) -> None:
    """What went out, in the case's evidence (kind "message"); a failure here never unsends a message. The
    names of its files are kept (header X-Recoup-Attachments), not their bytes."""
    if claimed.case_id is None:
        return
    if claimed.channel == "email":
        mail = email_of(replace(outgoing, attachments=()), settings.mail_from)
        if outgoing.attachments:
            mail["X-Recoup-Attachments"] = ", ".join(item.name for item in outgoing.attachments)
        name, content = f"message-{claimed.id}.eml", bytes(mail)
    else:
        name, content = f"message-{claimed.id}.txt", f"SMS to {claimed.to_masked}\n\n{outgoing.body}".encode()
    try:
        with database.unit_of_work() as session:
            keep(session, settings, tenant_id=claimed.tenant_id, case_id=claimed.case_id, kind="message",
                 name=name, content=content, added_by=WORKER.name, now=now)
    except RecoupError as error:
        log.error("message %s sent, but not kept as evidence: %s", claimed.id, error.message)
