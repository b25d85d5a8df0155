"""Appending to and verifying the audit trail. Services flush; the caller commits.

`record` keeps its entry on the session; `settle` chains the transaction's entries right before COMMIT
(recoup.audit.lock_order: the head is the last lock a writer takes, held for milliseconds), under the
write lock of every database (`exclusive`: BEGIN IMMEDIATE on SQLite, the head row's FOR UPDATE on
PostgreSQL), so concurrent writers chain one after the other. Each entry is linked by an HMAC under the
current audit key (`recoup.audit.chain`); checkpoints outside the database (`recoup.audit.checkpoints`)
make a removal or rebuild up to the last checkpoint visible to `verify`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from recoup.audit.chain import (
    GENESIS,
    LEGACY_KEY_ID,
    ChainBreak,
    ChainLink,
    Checkpoint,
    check_checkpoints,
    entry_hash,
    verify_chain,
)
from recoup.audit.checkpoint_file import CheckpointFileBroken, read_checkpoints
from recoup.audit.lock_order import add_pending, take_pending
from recoup.audit.models import AuditEntry, AuditHead
from recoup.audit.setup import audit_setup
from recoup.db import exclusive, upsert_for, utcnow
from recoup.free_text import masked_value
from recoup.keys.ring import Key
from recoup.transactions.pan_guard import mask_pans


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
    } | ({"key_id": entry.key_id} if entry.key_id else {})


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


# The head, read under its lock and moved on, and the entries inserted: Core statements on the tables, built
# once (no ORM object to flush, no ORM bulk insert or synchronised update: a third of a note's CPU otherwise).
_HEAD_TABLE: Any = AuditHead.__table__
_ENTRIES: Any = AuditEntry.__table__
_HEAD = select(_HEAD_TABLE.c.last_seq, _HEAD_TABLE.c.last_hash).where(_HEAD_TABLE.c.id == 1).with_for_update()
_MOVE_HEAD = (update(_HEAD_TABLE).where(_HEAD_TABLE.c.id == 1)
              .values(last_seq=bindparam("seq"), last_hash=bindparam("hash")))
_INSERT_ENTRIES = insert(_ENTRIES)
# On PostgreSQL one entry (a change's usual audit) is inserted and the head moved on to it by ONE statement: the
# head's UPDATE rides in a data-modifying WITH of the entry's INSERT (SQLite has no such WITH: two statements).
_INSERT_ENTRY_MOVING_HEAD = _INSERT_ENTRIES.add_cte(
    update(_HEAD_TABLE).where(_HEAD_TABLE.c.id == 1)
    .values(last_seq=bindparam("head_seq"), last_hash=bindparam("head_hash")).cte("moved_head"))


def _locked_head(session: Session) -> tuple[int, str]:
    """The last sequence number and hash, the head row locked so concurrent writers chain one after the other
    (the write lock is taken before the head is read, on SQLite too). A missing head row is made again from
    the last entry."""
    exclusive(session)
    head = session.execute(_HEAD).first()
    if head is None:
        last = session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
        values = {"id": 1, "last_seq": last[0] if last else 0, "last_hash": last[1] if last else GENESIS}
        session.execute(upsert_for(session)(AuditHead).values(values).on_conflict_do_nothing(index_elements=["id"]))
        head = session.execute(_HEAD).one()
    return int(head[0]), str(head[1])


def _drafted(draft: AuditDraft, moment: datetime) -> AuditEntry:
    """The entry of a draft, not chained yet (no sequence number, links or key)."""
    return AuditEntry(
        at=moment, tenant_id=draft.tenant_id if draft.tenant_id is not None else draft.actor.tenant_id,
        actor=draft.actor.name, action=draft.action, object_type=draft.object_type, object_id=draft.object_id,
        before=_masked(draft.before), after=_masked(draft.after), origin=draft.actor.origin,
        note=mask_pans(draft.note),
    )


def _chain(entry: AuditEntry, seq: int, prev_hash: str, key: Key) -> None:
    entry.seq, entry.prev_hash, entry.key_id = seq, prev_hash, key.id
    entry.hash = entry_hash(prev_hash, _fields(entry), key.secret)


def _masked(values: dict[str, object] | None) -> dict[str, object] | None:
    """What was attempted, with any card number typed into it masked (refused notes keep their text)."""
    if values is None:
        return None
    masked = masked_value(values)
    assert isinstance(masked, dict)
    return masked


def _audit_key(session: Session) -> Key:
    return audit_setup(session).keyring().current("audit")


class RecordedEntry:
    """An entry recorded in this transaction. It is chained at commit; asking for its sequence number or
    hash chains the transaction's entries at once (taking the head's lock from then on until commit)."""

    def __init__(self, session: Session, entry: AuditEntry) -> None:
        self._session, self._entry = session, entry
        self.at, self.tenant_id, self.actor = entry.at, entry.tenant_id, entry.actor
        self.action, self.object_type, self.object_id = entry.action, entry.object_type, entry.object_id
        self.before, self.after, self.origin, self.note = entry.before, entry.after, entry.origin, entry.note

    def _chained(self) -> AuditEntry:
        if self._entry.__dict__.get("hash") is None:
            settle(self._session)
        return self._entry

    @property
    def seq(self) -> int:
        return self._chained().seq

    @property
    def hash(self) -> str:
        return self._chained().hash


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
) -> RecordedEntry:
    """Append one entry (chained when the transaction commits)."""
    audit_setup(session)  # a session without the audit key refuses here, not at commit
    entry = _drafted(AuditDraft(actor, action, object_type, object_id, before, after, note, tenant_id),
                     at or utcnow())
    add_pending(session, [entry])
    return RecordedEntry(session, entry)


_COLUMNS = tuple(column.key for column in AuditEntry.__table__.columns)


def record_many(session: Session, drafts: Sequence[AuditDraft], *, at: datetime | None = None) -> int:
    """Append many entries at once (chained at commit, in one batched insert); same chain as `record`."""
    if not drafts:
        return 0
    audit_setup(session)
    moment = at or utcnow()
    session.flush()
    add_pending(session, [_drafted(draft, moment) for draft in drafts])
    return len(drafts)


def settle(session: Session) -> None:
    """Chain and insert the entries this transaction recorded: the head is locked from here until commit."""
    entries = take_pending(session)
    if not entries:
        return
    key = _audit_key(session)
    seq, prev_hash = _locked_head(session)
    for entry in entries:
        seq += 1
        _chain(entry, seq, prev_hash, key)
        prev_hash = entry.hash
    rows = [{column: getattr(entry, column) for column in _COLUMNS} for entry in entries]
    if len(rows) == 1 and session.get_bind().dialect.name == "postgresql":
        session.execute(_INSERT_ENTRY_MOVING_HEAD, {**rows[0], "head_seq": seq, "head_hash": prev_hash})
    else:
        session.execute(_INSERT_ENTRIES, rows)
        session.execute(_MOVE_HEAD, {"seq": seq, "hash": prev_hash})
    loaded = session.identity_map.get(identity_key(AuditHead, 1))
    if loaded is not None:  # a head read earlier in this session through the ORM: read it again when asked
        session.expire(loaded)


def _links(session: Session) -> Iterator[ChainLink]:
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()
    for entry in rows.yield_per(2000):
        yield ChainLink(entry.seq, entry.prev_hash, entry.hash, _fields(entry), entry.key_id or LEGACY_KEY_ID)


def _head_break(session: Session, count: int, last_hash: str) -> ChainBreak | None:
    """The head row must name the last entry: its sequence number and its hash."""
    head = session.get(AuditHead, 1)
    if head is None:
        return ChainBreak(count, f"the head row is missing while the trail has {count} entries") if count else None
    if head.last_seq > count:
        return ChainBreak(count + 1, f"entry {count + 1} is missing (removed from the end; the head names entry "
                                     f"{head.last_seq})")
    if head.last_seq < count or head.last_hash != last_hash:
        return ChainBreak(count, f"the head row (entry {head.last_seq}) does not match the last entry {count}: "
                                 "the trail was cut or rebuilt")
    return None


def verify(session: Session, checkpoints: Sequence[Checkpoint] | None = None) -> tuple[int, ChainBreak | None]:
    """Returns the number of entries checked and the first break, if any: of the checkpoints' signatures,
    of the chain (links, keys, checkpoints) and of the head row. `checkpoints` default to the checkpoint
    file of the bound folder."""
    setup = audit_setup(session)
    secret_for = setup.secrets()
    if checkpoints is None:
        try:
            checkpoints = read_checkpoints(setup.checkpoint_dir)
        except CheckpointFileBroken as error:
            return 0, ChainBreak(0, error.message)
    count, last_hash = 0, GENESIS

    def counted() -> Iterator[ChainLink]:
        nonlocal count, last_hash
        for link in _links(session):
            count += 1
            last_hash = link.hash
            yield link

    found = check_checkpoints(checkpoints, secret_for) or verify_chain(counted(), secret_for, checkpoints)
    return count, found or _head_break(session, count, last_hash)


def tenant_entry_count(session: Session, tenant_id: int) -> int:
    return session.execute(select(func.count()).select_from(AuditEntry)
                           .where(AuditEntry.tenant_id == tenant_id)).scalar_one()


def entry_tenant(session: Session, seq: int) -> int | None:
    """The tenant of entry `seq` (None for a system entry or one that is gone)."""
    return session.execute(select(AuditEntry.tenant_id).where(AuditEntry.seq == seq)).scalar_one_or_none()
