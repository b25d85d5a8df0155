"""Keeping evidence (SPEC section 7): store a file, attach a complaint's files to a case, read one back.

Services flush; the caller commits. Every write and every read is on the audit trail (object type
"evidence", the item's id); a file added to a case is also on the case's timeline. A file is checked
(kind, size, type told by content: recoup.evidence.rules) before anything is written; a refused file
leaves nothing behind. The same content added twice to one case is refused as a duplicate (naming the
item that holds it), except for messages and replies, where sending the same text twice is itself a
fact worth keeping: those get a second row pointing to the one stored file.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from recoup.audit.service import Actor, record
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.cases.models import Case
from recoup.cases.recording import add_event
from recoup.cases.repository import get_case
from recoup.config import Settings
from recoup.errors import Conflict, InvalidInput, NotFound
from recoup.evidence.models import EvidenceItem
from recoup.evidence.rules import MESSAGE_KINDS, SNIFF_BYTES, Refusal, check_upload, safe_name
from recoup.evidence.store import CHUNK_BYTES, address, read_decrypted, write_encrypted
from recoup.transactions.pan_guard import mask_pans

MAX_NOTE = 2000


class EvidenceRefused(InvalidInput):
    """A file the vault does not take (kind, size, type): nothing was stored. `refusal` holds the msgid
    and values, so a page can say it in the user's language."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.english(), detail={"reason": refusal.message, "values": refusal.values})
        self.refusal = refusal


class DuplicateEvidence(Conflict):
    def __init__(self, existing: EvidenceItem) -> None:
        refusal = Refusal("the same file is already evidence of this case (item {item}, {name})",
                          {"item": str(existing.id), "name": existing.name})
        super().__init__(refusal.english(), detail={"item_id": existing.id, "reason": refusal.message,
                                                    "values": refusal.values})
        self.refusal = refusal


def _measure(stream: BinaryIO) -> tuple[int, str, bytes]:
    """Size, SHA-256 and the first bytes of the stream (read once, then rewound)."""
    digest, size, head = hashlib.sha256(), 0, b""
    while chunk := stream.read(CHUNK_BYTES):
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
        digest.update(chunk)
        size += len(chunk)
    stream.seek(0)
    return size, digest.hexdigest(), head


def _duplicate(session: Session, tenant_id: int, case_id: int | None, complaint_id: int | None,
               sha256: str) -> EvidenceItem | None:
    if case_id is None and complaint_id is None:
        return None
    query = select(EvidenceItem).where(EvidenceItem.tenant_id == tenant_id, EvidenceItem.sha256 == sha256,
                                       EvidenceItem.kind.not_in(MESSAGE_KINDS))
    query = query.where(EvidenceItem.case_id == case_id) if case_id is not None else query.where(
        EvidenceItem.complaint_id == complaint_id)
    return session.execute(query.order_by(EvidenceItem.id).limit(1)).scalar_one_or_none()


def _checked(kind: str, name: str, note: str, size: int, head: bytes) -> tuple[str, str, str]:
    content_type, refusal = check_upload(kind, size, head)
    if refusal is not None:
        raise EvidenceRefused(refusal)
    if len(note) > MAX_NOTE:
        raise EvidenceRefused(Refusal("a note has at most {limit} characters", {"limit": str(MAX_NOTE)}))
    return content_type, mask_pans(safe_name(name, content_type)), mask_pans(note.strip())


def add_evidence_stream(session: Session, settings: Settings, *, tenant_id: int, case_id: int | None, kind: str,
                        name: str, stream: BinaryIO, added_by: str, now: datetime, note: str = "",
                        complaint_id: int | None = None, origin: str = "system") -> EvidenceItem:
    """`add_evidence` for a file that need not fit in memory (a seekable stream, read twice)."""
    kind = kind.strip().lower()
    size, sha256, head = _measure(stream)
    content_type, clean_name, clean_note = _checked(kind, name, note, size, head)
    if kind not in MESSAGE_KINDS and (existing := _duplicate(session, tenant_id, case_id, complaint_id, sha256)):
        raise DuplicateEvidence(existing)
    key_id = write_encrypted(settings.var_dir, address(tenant_id, sha256), _hashed(stream, sha256),
                             settings.keyring().current("data"))
    item = EvidenceItem(tenant_id=tenant_id, case_id=case_id, complaint_id=complaint_id, kind=kind, name=clean_name,
                        content_type=content_type, size=size, sha256=sha256, key_id=key_id, note=clean_note,
                        added_by=added_by, added_at=now)
    session.add(item)
    session.flush()
    _on_record(session, item, Actor(added_by, tenant_id, origin), now)
    return item


def _hashed(stream: BinaryIO, expected: str) -> Iterator[bytes]:
    """The stream's chunks, checked once more against the hash measured before (it must not change)."""
    digest = hashlib.sha256()
    while chunk := stream.read(CHUNK_BYTES):
        digest.update(chunk)
        yield chunk
    if digest.hexdigest() != expected:
        raise InvalidInput("the file changed while it was being stored; nothing was kept")


def _on_record(session: Session, item: EvidenceItem, actor: Actor, now: datetime) -> None:
    facts: dict[str, object] = {"case_id": item.case_id, "complaint_id": item.complaint_id, "kind": item.kind,
                                "name": item.name, "content_type": item.content_type, "size": item.size,
                                "sha256": item.sha256, "key_id": item.key_id}
    record(session, actor, "evidence.add", "evidence", str(item.id), tenant_id=item.tenant_id, after=facts,
           note=item.note, at=now)
    if item.case_id is not None:
        case = session.get(Case, item.case_id)
        if case is not None:
            add_event(session, case, actor.name, "evidence_added", f"{item.name} ({item.kind})",
                      data={"evidence_id": item.id, "sha256": item.sha256}, now=now)


def add_evidence(session: Session, settings: Settings, *, tenant_id: int, case_id: int | None, kind: str, name: str,
                 content: bytes, added_by: str, now: datetime, note: str = "",
                 complaint_id: int | None = None) -> EvidenceItem:
    """Store `content` as evidence (checked, encrypted, hashed, audited); flushes and returns the row."""
    return add_evidence_stream(session, settings, tenant_id=tenant_id, case_id=case_id, kind=kind, name=name,
                               stream=io.BytesIO(content), added_by=added_by, now=now, note=note,
                               complaint_id=complaint_id)


def attach_to_case(session: Session, item_ids: Sequence[int], case_id: int) -> None:
    """A complaint's files join the case it is linked to (only items of the case's tenant, not yet on a case)."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case with id {case_id}")
    if not item_ids:
        return
    session.execute(update(EvidenceItem).where(
        EvidenceItem.id.in_(list(item_ids)), EvidenceItem.tenant_id == case.tenant_id,
        EvidenceItem.case_id.is_(None)).values(case_id=case_id))
    record(session, Actor("system", case.tenant_id, "system"), "evidence.attach", "case", case.number,
           tenant_id=case.tenant_id, after={"evidence_ids": sorted(item_ids)})
    session.flush()


def read_evidence(session: Session, settings: Settings, item: EvidenceItem, actor: str,
                  now: datetime) -> Iterator[bytes]:
    """The file's plaintext, chunk by chunk; the read is audited (in the caller's transaction) first."""
    record(session, Actor(actor, item.tenant_id, "system"), "evidence.read", "evidence", str(item.id),
           tenant_id=item.tenant_id, after={"case_id": item.case_id, "sha256": item.sha256}, at=now)
    return open_item(settings, item)


def open_item(settings: Settings, item: EvidenceItem) -> Iterator[bytes]:
    """The plaintext without an audit entry: for callers that audit the read themselves (the bundle)."""
    return read_decrypted(settings.var_dir, address(item.tenant_id, item.sha256), settings.keyring())


# What the API, pages and CLI call: the caller's role and scope apply.

def add_to_case(session: Session, settings: Settings, principal: Principal, reference: str, *, kind: str,
                name: str, stream: BinaryIO, now: datetime, note: str = "") -> EvidenceItem:
    principal.require(Permission.WORK_CASES)
    case = get_case(session, principal, reference)
    return add_evidence_stream(session, settings, tenant_id=case.tenant_id, case_id=case.id, kind=kind, name=name,
                               stream=stream, added_by=principal.username, now=now, note=note,
                               origin=principal.origin)


def items_of(session: Session, case_id: int) -> list[EvidenceItem]:
    query = select(EvidenceItem).where(EvidenceItem.case_id == case_id).order_by(EvidenceItem.id)
    return list(session.execute(query).scalars())


def item_of_case(session: Session, principal: Principal, reference: str, item_id: str) -> tuple[Case, EvidenceItem]:
    """One item of a case in the caller's scope (NotFound for anything else, whatever exists)."""
    principal.require(Permission.READ)
    case = get_case(session, principal, reference)
    found = None
    if item_id.isascii() and item_id.isdigit() and len(item_id) < 18:
        found = session.execute(select(EvidenceItem).where(EvidenceItem.id == int(item_id),
                                                           EvidenceItem.case_id == case.id)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no evidence item {item_id} in case {case.number}")
    return case, found


def read_for(session: Session, settings: Settings, principal: Principal, item: EvidenceItem,
             now: datetime) -> Iterator[bytes]:
    """A read by a person: audited under their name and door (web, api, cli)."""
    record(session, principal.actor(), "evidence.read", "evidence", str(item.id), tenant_id=item.tenant_id,
           after={"case_id": item.case_id, "sha256": item.sha256}, at=now)
    return open_item(settings, item)
