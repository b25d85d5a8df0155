"""Appending to and verifying the audit trail. Services flush; the caller commits."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.audit.chain import GENESIS, ChainBreak, ChainLink, entry_hash, verify_chain
from recoup.audit.models import AuditEntry, AuditHead
from recoup.db import utcnow


@dataclass(frozen=True)
class Actor:
    """Who did something, and through which door (web, api, cli, worker, import)."""

    name: str
    tenant_id: int | None
    origin: str


SYSTEM = Actor("system", None, "system")


def _fields(entry: AuditEntry) -> dict[str, object]:
    return {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "tenant_id": entry.tenant_id,
        "actor": entry.actor,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "before": entry.before,
        "after": entry.after,
        "origin": entry.origin,
        "note": entry.note,
    }


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str,
    *,
    before: dict[str, object] | None = None,
    after: dict[str, object] | None = None,
    note: str = "",
    tenant_id: int | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry; the head row is locked so concurrent writers chain one after the other."""
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, last_seq=0, last_hash=GENESIS)
        session.add(head)
        session.flush()
    moment = at or utcnow()
    entry = AuditEntry(
        seq=head.last_seq + 1,
        at=moment,
        tenant_id=tenant_id if tenant_id is not None else actor.tenant_id,
        actor=actor.name,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
        origin=actor.origin,
        prev_hash=head.last_hash,
        note=note,
    )
    entry.hash = entry_hash(entry.prev_hash, _fields(entry))
    head.last_seq = entry.seq
    head.last_hash = entry.hash
    session.add(entry)
    session.flush()
    return entry


def _links(session: Session) -> Iterator[ChainLink]:
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()
    for entry in rows.yield_per(2000):
        yield ChainLink(entry.seq, entry.prev_hash, entry.hash, _fields(entry))


def verify(session: Session) -> tuple[int, ChainBreak | None]:
    """Returns the number of entries checked and the first break, if any."""
    count = 0

    def counted() -> Iterator[ChainLink]:
        nonlocal count
        for link in _links(session):
            count += 1
            yield link

    found = verify_chain(counted())
    head = session.get(AuditHead, 1)
    if found is None and head is not None and head.last_seq != count:
        found = ChainBreak(count + 1, f"entry {count + 1} is missing (removed from the end)")
    return count, found
