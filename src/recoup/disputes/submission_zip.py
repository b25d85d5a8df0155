"""The frozen submission of a dispute as a ZIP: the documents sent, a manifest and the dispute's facts.

Inside `dispute-<id>-submission-<n>.zip`: every document of the submission, decrypted from the vault,
under `documents/<nnn>-<kind>-<name>` (each checked against the SHA-256 frozen when it was submitted as
it streams), and `manifest.json`: the dispute's facts (scheme, stage, reason code and its words,
amount, dates, reference), the submission (stage, who, when, the manifest's SHA-256) and `submitted`,
the very body whose canonical JSON has that SHA-256, so anyone can recompute it. Planned and audited
(`dispute.download`) in the caller's transaction, streamed after it (recoup.evidence.bundle).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.audit.service import record
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.cases.models import Case
from recoup.config import Settings
from recoup.db import Database
from recoup.disputes.models import Dispute, DisputeSubmission, DisputeSubmissionItem
from recoup.disputes.repository import get_dispute, reason_code
from recoup.disputes.schemas import dispute_row
from recoup.disputes.submission import submission_view, submissions_of
from recoup.errors import InvalidInput, NotFound
from recoup.evidence.bundle import BundleFile, BundlePlan, stream_bundle
from recoup.evidence.downloads import disposition
from recoup.evidence.models import EvidenceItem
from recoup.evidence.records import canonical_json


def zip_name(dispute: Dispute, number: int) -> str:
    return f"dispute-{dispute.id}-submission-{number}.zip"


def _chosen(session: Session, dispute: Dispute, which: int | None,
            ) -> tuple[int, DisputeSubmission, list[DisputeSubmissionItem]]:
    """The submission's position (1 for the first), itself and its documents; the latest by default."""
    found = submissions_of(session, dispute)
    if not found:
        raise InvalidInput(f"dispute {dispute.id} has nothing submitted yet: respond first, then download")
    if which is None:
        return len(found), *found[-1]
    if not 1 <= which <= len(found):
        raise NotFound(f"dispute {dispute.id} has {len(found)} submission(s), not a number {which}")
    return which, *found[which - 1]


def _documents(session: Session, dispute: Dispute, items: Sequence[DisputeSubmissionItem]) -> list[BundleFile]:
    stored = {e.id: e for e in session.execute(select(EvidenceItem).where(
        EvidenceItem.tenant_id == dispute.tenant_id, EvidenceItem.id.in_([i.evidence_id for i in items]))).scalars()}
    files = []
    for index, item in enumerate(items, start=1):
        evidence = stored.get(item.evidence_id)
        if evidence is None:
            raise NotFound(f"evidence {item.evidence_id} of this submission is no longer in the vault")
        files.append(BundleFile(f"documents/{index:03d}-{item.kind}-{item.name}", item.size, item.sha256,
                                item=evidence))
    return files


def _facts(session: Session, dispute: Dispute) -> dict[str, object]:
    case = session.get(Case, dispute.case_id)
    reason = reason_code(session, dispute.tenant_id, dispute.scheme, dispute.reason_code)
    return {**dispute_row(dispute, case.number if case else ""), "currency": dispute.currency,
            "reference": dispute.reference, "rrn": dispute.rrn, "merchant_id": dispute.merchant_id,
            "raised_by": dispute.raised_by,
            "reason": {"code": reason.code, "label_zh": reason.label_zh, "label_en": reason.label_en,
                       "evidence_kinds": list(reason.evidence_kinds)}}


def _manifest(session: Session, dispute: Dispute, submission: DisputeSubmission,
              items: Sequence[DisputeSubmissionItem], files: Sequence[BundleFile]) -> bytes:
    view = submission_view(submission, items)
    submitted = {"dispute": dispute.id, "scheme": dispute.scheme, "reference": dispute.reference,
                 "reason_code": dispute.reason_code, "stage": submission.stage,
                 "documents": [{"evidence_id": i.evidence_id, "kind": i.kind, "name": i.name, "sha256": i.sha256,
                                "size": i.size} for i in items]}
    return canonical_json({
        "dispute": _facts(session, dispute),
        "submission": {key: view[key] for key in ("id", "stage", "manifest_sha256", "submitted_by",
                                                  "submitted_at", "late_reason")},
        "submitted": submitted,
        "files": [{"path": f.path, "evidence_id": i.evidence_id, "size": f.size, "sha256": f.sha256}
                  for f, i in zip(files, items, strict=True)],
    })


def plan_submission(session: Session, principal: Principal, reference: str, now: datetime,
                    which: int | None = None) -> tuple[str, BundlePlan]:
    """The ZIP's name and what it holds (read and audited in the caller's transaction)."""
    principal.require(Permission.READ)
    dispute = get_dispute(session, principal, reference)
    number, submission, items = _chosen(session, dispute, which)
    files = _documents(session, dispute, items)
    content = _manifest(session, dispute, submission, items, files)
    manifest = BundleFile("manifest.json", len(content), hashlib.sha256(content).hexdigest(), content=content)
    record(session, principal.actor(), "dispute.download", "dispute", str(dispute.id), tenant_id=dispute.tenant_id,
           after={"submission": submission.id, "evidence_ids": [i.evidence_id for i in items],
                  "manifest_sha256": submission.manifest_sha256}, at=now)
    case = session.get(Case, dispute.case_id)
    return zip_name(dispute, number), BundlePlan(case.number if case else "", now, [*files, manifest])


def submission_response(database: Database, settings: Settings, principal: Principal, reference: str,
                        now: datetime, which: int | None = None) -> StreamingResponse:
    """Plan (and audit) in a transaction of its own, then stream the ZIP once it has committed."""
    with database.unit_of_work() as session:
        name, plan = plan_submission(session, principal, reference, now, which)
    headers = {"content-disposition": disposition("attachment", name), "cache-control": "private, no-store"}
    return StreamingResponse(stream_bundle(plan, settings), media_type="application/zip", headers=headers)
