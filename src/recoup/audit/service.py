"""Appending to and verifying the audit trail. Services flush; the caller commits."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
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


@dataclass(frozen=True)
class AuditDraft:
    """One entry to append with `record_many`."""

    actor: Actor
    action: str
    object_type: str
    object_id: str
    before: dict[str, object] | None = None
    after: dict[str, object] | None = None
    note: str = ""
    tenant_id: int | None = None


def _locked_head(session: Session) -> AuditHead:
    """The head row, locked so concurrent writers chain one after the other."""
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, last_seq=0, last_hash=GENESIS)
        session.add(head)
        session.flush()
    return head


def _chained(draft: AuditDraft, seq: int, prev_hash: str, moment: datetime) -> AuditEntry:
    entry = AuditEntry(
        seq=seq, at=moment, tenant_id=draft.tenant_id if draft.tenant_id is not None else draft.actor.tenant_id,
        actor=draft.actor.name, action=draft.action, object_type=draft.object_type, object_id=draft.object_id,
        before=draft.before, after=draft.after, origin=draft.actor.origin, prev_hash=prev_hash, note=draft.note,
    )
    entry.hash = entry_hash(prev_hash, _fields(entry))
    return entry


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
    """Append one entry."""
    head = _locked_head(session)
    draft = AuditDraft(actor, action, object_type, object_id, before, after, note, tenant_id)
    entry = _chained(draft, head.last_seq + 1, head.last_hash, at or utcnow())
    head.last_seq = entry.seq
    head.last_hash = entry.hash
    session.add(entry)
    session.flush()
    return entry


_COLUMNS = tuple(column.key for column in AuditEntry.__table__.columns)


def record_many(session: Session, drafts: Sequence[AuditDraft], *, at: datetime | None = None) -> int:
    """Append many entries at once (one lock, one batched insert); same chain as `record` one by one."""
    if not drafts:
        return 0
    head = _locked_head(session)
    moment = at or utcnow()
    seq, prev_hash = head.last_seq, head.last_hash
    rows = []
    for draft in drafts:
        seq += 1
        entry = _chained(draft, seq, prev_hash, moment)
        prev_hash = entry.hash
        rows.append({column: getattr(entry, column) for column in _COLUMNS})
    session.execute(insert(AuditEntry), rows)
    head.last_seq, head.last_hash = seq, prev_hash
    session.flush()
    return len(rows)


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
