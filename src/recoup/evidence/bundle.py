"""A case's evidence bundle (SPEC section 7): one ZIP fit to hand to an acquirer, a card scheme or a court.

Inside: `incident-report-zh.pdf` and `incident-report-en.pdf`; every evidence file decrypted under
`evidence/<nnn>-<kind>-<name>`; each note and recovery action as `records/*.json`; `audit/entries.json`
(every audit entry of the case, its files and its actions, with their chain hashes) and
`audit/checkpoint.json` (the signed checkpoint that covers them); and `manifest.json` naming each file
with its path, kind, name, size, time, who added it and SHA-256.

Two steps, so that the archive streams after the request's transaction has ended: `plan_bundle` reads
what the bundle holds (and audits the read: one "evidence.bundle" entry naming every item) in the
caller's transaction; `stream_bundle` then writes the ZIP as it is read, one decrypted chunk at a time,
so a case with 500 MB of evidence is never held in memory. Each file's SHA-256 is checked as it streams.
"""

from __future__ import annotations

import hashlib
import importlib
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from recoup.audit.checkpoint_file import CheckpointFileBroken, as_dict, read_checkpoints
from recoup.audit.models import AuditEntry
from recoup.audit.service import record
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.cases.models import Case
from recoup.cases.repository import get_case
from recoup.config import Settings
from recoup.evidence.models import EvidenceItem
from recoup.evidence.records import DerivedRecord, canonical_json, records_of
from recoup.evidence.service import items_of, open_item
from recoup.evidence.store import EvidenceUnreadable
from recoup.recovery.models import RecoveryAction

LANGUAGES = ("zh", "en")
_STREAM_BYTES = 1024 * 1024
Renderer = Callable[[Session, Principal, str, str, datetime], bytes]


@dataclass(frozen=True)
class BundleFile:
    path: str
    size: int
    sha256: str
    content: bytes | None = None  # written from memory (reports, records, JSON) ...
    item: EvidenceItem | None = None  # ... or decrypted from the vault as it streams


@dataclass
class BundlePlan:
    case_number: str
    generated_at: datetime
    files: list[BundleFile] = field(default_factory=list)

    @property
    def file_name(self) -> str:
        return f"{self.case_number}-evidence.zip"


def _in_memory(path: str, content: bytes) -> BundleFile:
    return BundleFile(path, len(content), hashlib.sha256(content).hexdigest(), content=content)


def _renderer() -> Renderer | None:
    """The incident report's renderer (recoup.evidence.incident_report), looked up when a bundle is made."""
    try:
        module = importlib.import_module("recoup.evidence.incident_report")
    except ImportError:
        return None
    return cast(Renderer, getattr(module, "render_incident_report", None))


def _reports(session: Session, principal: Principal, case: Case, now: datetime) -> list[BundleFile]:
    render = _renderer()
    if render is None:
        return []
    return [_in_memory(f"incident-report-{lang}.pdf", render(session, principal, case.number, lang, now))
            for lang in LANGUAGES]


def _entry_row(entry: AuditEntry) -> dict[str, object]:
    return {"seq": entry.seq, "at": entry.at.isoformat(), "tenant_id": entry.tenant_id, "actor": entry.actor,
            "action": entry.action, "object_type": entry.object_type, "object_id": entry.object_id,
            "before": entry.before, "after": entry.after, "origin": entry.origin, "note": entry.note,
            "prev_hash": entry.prev_hash, "hash": entry.hash, "key_id": entry.key_id}


def case_audit_entries(session: Session, case: Case, item_ids: list[int]) -> list[AuditEntry]:
    """The audit entries about the case, its evidence items and its recovery actions, in chain order."""
    action_ids = [str(i) for i in session.execute(select(RecoveryAction.id).where(RecoveryAction.case_id == case.id))
                  .scalars()]
    about = or_(and_(AuditEntry.object_type == "case", AuditEntry.object_id == case.number),
                and_(AuditEntry.object_type == "evidence", AuditEntry.object_id.in_([str(i) for i in item_ids])),
                and_(AuditEntry.object_type == "recovery_action", AuditEntry.object_id.in_(action_ids)))
    query = select(AuditEntry).where(AuditEntry.tenant_id == case.tenant_id, about).order_by(AuditEntry.seq)
    return list(session.execute(query).scalars())


def _checkpoint(settings: Settings, last_seq: int) -> dict[str, object]:
    """The first checkpoint of the whole trail at or after the last entry of the case (signed)."""
    try:
        checkpoints = read_checkpoints(settings.audit_checkpoint_folder)
    except CheckpointFileBroken as broken:
        return {"checkpoint": None, "explanation": broken.message}
    covering = [c for c in checkpoints if c.scope == "all" and c.seq >= last_seq]
    if not covering:
        return {"checkpoint": None, "explanation": "the case's last entries are newer than the last checkpoint: "
                                                   "run `recoup audit checkpoint`, then make the bundle again"}
    return {"checkpoint": as_dict(covering[0]),
            "explanation": "entry `seq` of the audit trail had `hash` at `at`, signed (`mac`) with audit key `key_id`"}


def _evidence_files(items: list[EvidenceItem]) -> list[tuple[BundleFile, EvidenceItem]]:
    return [(BundleFile(f"evidence/{index:03d}-{item.kind}-{item.name}", item.size, item.sha256, item=item), item)
            for index, item in enumerate(items, start=1)]


def _manifest_row(path: str, kind: str, name: str, size: int, sha256: str, added: tuple[datetime, str],
                  ) -> dict[str, object]:
    return {"path": path, "kind": kind, "name": name, "size": size, "sha256": sha256,
            "added_at": added[0].isoformat(), "added_by": added[1]}


def _manifest(plan: BundlePlan, evidence: list[tuple[BundleFile, EvidenceItem]],
              records: list[tuple[BundleFile, DerivedRecord]], documents: list[BundleFile]) -> bytes:
    files = [_manifest_row(f.path, item.kind, item.name, item.size, item.sha256, (item.added_at, item.added_by))
             | {"content_type": item.content_type, "note": item.note} for f, item in evidence]
    files += [_manifest_row(f.path, derived.kind, derived.name, derived.size, derived.sha256,
                            (derived.added_at, derived.added_by)) | {"source": derived.source}
              for f, derived in records]
    return canonical_json({"case": plan.case_number, "generated_at": plan.generated_at.isoformat(), "files": files,
                           "documents": [{"path": d.path, "size": d.size, "sha256": d.sha256} for d in documents]})


def plan_bundle(session: Session, settings: Settings, principal: Principal, reference: str,
                now: datetime) -> BundlePlan:
    """What the case's bundle holds, read in the caller's transaction (which it audits)."""
    principal.require(Permission.READ)
    case = get_case(session, principal, reference)
    plan = BundlePlan(case.number, now)
    items = items_of(session, case.id)
    evidence = _evidence_files(items)
    records = [(_in_memory(f"records/{d.name}", d.content), d) for d in records_of(session, case)]
    entries = case_audit_entries(session, case, [item.id for item in items])
    documents = [*_reports(session, principal, case, now),
                 _in_memory("audit/entries.json", canonical_json([_entry_row(e) for e in entries])),
                 _in_memory("audit/checkpoint.json", canonical_json(_checkpoint(settings, entries[-1].seq
                                                                               if entries else 0)))]
    record(session, principal.actor(), "evidence.bundle", "case", case.number, tenant_id=case.tenant_id,
           after={"evidence_ids": [item.id for item in items], "records": len(records)}, at=now)
    plan.files = [*documents, *(f for f, _ in evidence), *(f for f, _ in records),
                  _in_memory("manifest.json", _manifest(plan, evidence, records, documents))]
    return plan


class _Sink:
    """Where the ZIP writer writes: bytes are kept until the stream takes them (no seek, no tell)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.pending = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.pending += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        taken = b"".join(self.parts)
        self.parts, self.pending = [], 0
        return taken


def _content(settings: Settings, entry: BundleFile) -> Iterator[bytes]:
    if entry.item is None:
        yield entry.content or b""
        return
    digest = hashlib.sha256()
    for chunk in open_item(settings, entry.item):
        digest.update(chunk)
        yield chunk
    if digest.hexdigest() != entry.sha256:
        raise EvidenceUnreadable(f"the evidence file {entry.path} does not match its SHA-256")


def stream_bundle(plan: BundlePlan, settings: Settings) -> Iterator[bytes]:
    """The ZIP, as it is written (each yielded part at most about 1 MiB plus one chunk)."""
    sink = _Sink()
    stamp = plan.generated_at.timetuple()[:6]
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:  # type: ignore[call-overload]
        for entry in plan.files:
            info = zipfile.ZipInfo(entry.path, date_time=stamp)
            info.compress_type, info.file_size, info.external_attr = zipfile.ZIP_DEFLATED, entry.size, 0o600 << 16
            with archive.open(info, "w", force_zip64=entry.size > (1 << 31)) as target:
                for chunk in _content(settings, entry):
                    target.write(chunk)
                    if sink.pending >= _STREAM_BYTES:
                        yield sink.take()
            if sink.pending:
                yield sink.take()
    if sink.pending:
        yield sink.take()
