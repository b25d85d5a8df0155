"""The submission builder: the case's evidence, what the reason code calls for, what is missing, and
the frozen bundle (each document's id, SHA-256 and name, and the SHA-256 of the whole manifest)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.disputes.models import Dispute, DisputeSubmission, DisputeSubmissionItem, ReasonCode
from recoup.disputes.repository import reason_code
from recoup.errors import InvalidInput
from recoup.evidence.models import EvidenceItem

MAX_DOCUMENTS = 200


@dataclass(frozen=True)
class Builder:
    """What the submission page and `dispute show` present."""

    evidence: list[EvidenceItem]
    called_for: list[str]
    missing: list[str]  # kinds called for that no document of the case has
    reason: ReasonCode


def case_evidence(session: Session, dispute: Dispute) -> list[EvidenceItem]:
    query = select(EvidenceItem).where(EvidenceItem.tenant_id == dispute.tenant_id,
                                       EvidenceItem.case_id == dispute.case_id)
    return list(session.execute(query.order_by(EvidenceItem.id)).scalars())


def builder(session: Session, dispute: Dispute) -> Builder:
    reason = reason_code(session, dispute.tenant_id, dispute.scheme, dispute.reason_code)
    evidence = case_evidence(session, dispute)
    return Builder(evidence, list(reason.evidence_kinds), missing_kinds(reason.evidence_kinds, evidence), reason)


def missing_kinds(called_for: Sequence[str], chosen: Sequence[EvidenceItem]) -> list[str]:
    present = {item.kind for item in chosen}
    return [kind for kind in called_for if kind not in present]


def choose(session: Session, dispute: Dispute, evidence_ids: Sequence[int]) -> list[EvidenceItem]:
    """The documents to submit: those named (each must be the case's), or by default every document
    of the case of a kind the reason code calls for."""
    found = builder(session, dispute)
    if len(evidence_ids) > MAX_DOCUMENTS:
        raise InvalidInput(f"at most {MAX_DOCUMENTS} documents per submission")
    by_id = {item.id: item for item in found.evidence}
    if evidence_ids:
        unknown = sorted({number for number in evidence_ids if number not in by_id})
        if unknown:
            raise InvalidInput(f"evidence {', '.join(map(str, unknown))} is not on this dispute's case")
        return [by_id[number] for number in sorted(set(evidence_ids))]
    chosen = [item for item in found.evidence if item.kind in found.called_for]
    if not chosen:
        raise InvalidInput(f"nothing to submit: reason code {dispute.reason_code} calls for "
                           f"{', '.join(found.called_for)}; add it to the case's evidence or choose documents")
    return chosen


def manifest(items: Sequence[EvidenceItem]) -> list[dict[str, object]]:
    return [{"evidence_id": item.id, "kind": item.kind, "name": item.name, "sha256": item.sha256, "size": item.size}
            for item in items]


def manifest_sha256(dispute: Dispute, stage: str, rows: Sequence[dict[str, object]]) -> str:
    """The SHA-256 of the canonical JSON of what was sent: the dispute, its stage and every document."""
    body = {"dispute": dispute.id, "scheme": dispute.scheme, "reference": dispute.reference,
            "reason_code": dispute.reason_code, "stage": stage, "documents": list(rows)}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def freeze(session: Session, dispute: Dispute, items: Sequence[EvidenceItem], actor: str, now: datetime,
           note: str = "", late_reason: str = "") -> DisputeSubmission:
    """Store the submission as it is now; later changes to the case's evidence do not touch it."""
    rows = manifest(items)
    submission = DisputeSubmission(tenant_id=dispute.tenant_id, dispute_id=dispute.id, stage=dispute.stage,
                                   manifest_sha256=manifest_sha256(dispute, dispute.stage, rows), note=note,
                                   late_reason=late_reason, submitted_by=actor, submitted_at=now)
    session.add(submission)
    session.flush()
    session.add_all(DisputeSubmissionItem(submission_id=submission.id, evidence_id=item.id, kind=item.kind,
                                          name=item.name, sha256=item.sha256, size=item.size) for item in items)
    session.flush()
    return submission


def submissions_of(session: Session, dispute: Dispute) -> list[tuple[DisputeSubmission, list[DisputeSubmissionItem]]]:
    subs = list(session.execute(select(DisputeSubmission).where(DisputeSubmission.dispute_id == dispute.id)
                                .order_by(DisputeSubmission.id)).scalars())
    items = list(session.execute(select(DisputeSubmissionItem).where(
        DisputeSubmissionItem.submission_id.in_([s.id for s in subs])).order_by(DisputeSubmissionItem.id)).scalars())
    return [(sub, [item for item in items if item.submission_id == sub.id]) for sub in subs]


def submission_view(submission: DisputeSubmission, items: Sequence[DisputeSubmissionItem]) -> dict[str, object]:
    return {"id": submission.id, "stage": submission.stage, "manifest_sha256": submission.manifest_sha256,
            "submitted_by": submission.submitted_by, "submitted_at": submission.submitted_at.isoformat(),
            "late_reason": submission.late_reason or None,
            "documents": [{"evidence_id": i.evidence_id, "kind": i.kind, "name": i.name, "sha256": i.sha256,
                           "size": i.size} for i in items]}
