"""Signed checkpoints of the audit trail, written after commit, never inside the appending transaction.

A checkpoint says "at this time, entry N had this hash", signed with the audit key, and goes where
someone who can rewrite the database cannot: a line appended to the checkpoint file, and to each tenant
with webhook endpoints an `audit.checkpoint` event naming that tenant's own last entry (only what the
tenant may see). Written by `recoup audit checkpoint`, by every `recoup audit verify` that succeeds,
and by each worker pass; nothing is written when the trail has not moved since the last checkpoint.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recoup.audit.chain import Checkpoint, sign_checkpoint
from recoup.audit.checkpoint_file import Appender, appending, as_dict
from recoup.audit.models import AuditEntry, AuditHead
from recoup.audit.setup import AuditNotConfigured, AuditSetup
from recoup.db import Database, utcnow
from recoup.errors import RecoupError
from recoup.keys.ring import Key
from recoup.webhooks.models import WebhookEndpoint
from recoup.webhooks.service import emit

log = logging.getLogger("recoup.audit")


class AuditBroken(RecoupError):
    status = 409


def _setup(database: Database) -> AuditSetup:
    if database.audit is None:
        raise AuditNotConfigured("no audit key bound: open the database as "
                                 "Database(url, audit=AuditSetup.from_settings(settings))")
    return database.audit


def _last_entry(session: Session) -> tuple[int, str] | None:
    """The last entry (sequence, hash), once the head row agrees with it."""
    row = session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    head = session.get(AuditHead, 1)
    if row is None:
        return None
    if head is None or (head.last_seq, head.last_hash) != (row[0], row[1]):
        raise AuditBroken(f"the audit head does not match the last entry {row[0]}: no checkpoint written; "
                          "run `recoup audit verify`")
    return row[0], row[1]


def _still_there(session: Session, checkpoint: Checkpoint) -> None:
    found = session.execute(select(AuditEntry.hash).where(AuditEntry.seq == checkpoint.seq)).scalar_one_or_none()
    if found != checkpoint.hash:
        raise AuditBroken(f"entry {checkpoint.seq} no longer matches the last checkpoint ({checkpoint.at}): "
                          "no checkpoint written; run `recoup audit verify`")


def _signed(seq: int, digest: str, moment: datetime, key: Key, scope: str = "all") -> Checkpoint:
    at = moment.isoformat(timespec="seconds")
    return sign_checkpoint(Checkpoint(seq, digest, at, key.id, scope=scope), key.secret)


def _append_if_moved(database: Database, file: Appender, key: Key, moment: datetime) -> tuple[Checkpoint | None, int]:
    """Append a checkpoint of the last entry unless the last checkpoint already names it; returns the
    newest checkpoint and the sequence number the previous one had reached."""
    previous = file.last()
    with database.unit_of_work() as session:
        last = _last_entry(session)
        if previous is not None:
            _still_there(session, previous)
    if last is None:
        return previous, 0
    if previous is not None and (previous.seq, previous.hash) == last:
        return previous, previous.seq
    checkpoint = _signed(last[0], last[1], moment, key)
    file.append(checkpoint)
    return checkpoint, previous.seq if previous else 0


def write_checkpoint(database: Database, now: datetime | None = None) -> Checkpoint | None:
    """Checkpoint the trail as committed now (file, then tenants' webhooks); returns the newest
    checkpoint, None while the trail is empty. Refuses (AuditBroken) when the trail went backwards."""
    setup = _setup(database)
    moment = now or utcnow()
    key = setup.keyring().current("audit")
    with appending(setup.checkpoint_dir) as file:
        checkpoint, since = _append_if_moved(database, file, key, moment)
    if checkpoint is not None and checkpoint.seq > since:
        with database.unit_of_work() as session:
            notify_tenants(session, since, key, moment)
    return checkpoint


def notify_tenants(session: Session, since: int, key: Key, moment: datetime) -> int:
    """An `audit.checkpoint` event to each tenant with an active endpoint and entries after `since`:
    the tenant's own last entry, signed; returns how many tenants were told."""
    listening = select(WebhookEndpoint.tenant_id).where(WebhookEndpoint.active.is_(True))
    lasts = session.execute(
        select(AuditEntry.tenant_id, func.max(AuditEntry.seq))
        .where(AuditEntry.seq > since, AuditEntry.tenant_id.in_(listening)).group_by(AuditEntry.tenant_id)
    ).all()
    for tenant_id, seq in lasts:
        assert tenant_id is not None  # only tenants with endpoints were selected
        digest = session.execute(select(AuditEntry.hash).where(AuditEntry.seq == seq)).scalar_one()
        checkpoint = _signed(seq, digest, moment, key, scope=f"tenant:{tenant_id}")
        emit(session, tenant_id, "audit.checkpoint", as_dict(checkpoint), moment)
    return len(lasts)


def checkpoint_after_pass(database: Database, now: datetime | None = None) -> None:
    """The worker's checkpoint: a trail that went backwards is logged (and left for `audit verify`)."""
    try:
        write_checkpoint(database, now)
    except RecoupError as error:
        log.warning("audit checkpoint not written: %s", error.message)
