"""What the ledger's foreign keys guarded until migration 0016, proven set-based by `recoup ledger verify`:
every line belongs to a posting of its own tenant, and every posting to a tenant that exists."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.auth.models import Tenant
from recoup.ledger.models import LedgerEntry, LedgerPosting
from recoup.ledger.rules import LedgerIntegrityError


def verify_links(session: Session, tenant_id: int | None = None) -> None:
    """Raise LedgerIntegrityError naming the first line without its posting, or posting without its tenant."""
    posting = select(LedgerPosting.id).where(LedgerPosting.id == LedgerEntry.posting_id,
                                             LedgerPosting.tenant_id == LedgerEntry.tenant_id)
    lines = select(LedgerEntry.id, LedgerEntry.posting_id).where(~posting.exists())
    if tenant_id is not None:
        lines = lines.where(LedgerEntry.tenant_id == tenant_id)
    stray = session.execute(lines.order_by(LedgerEntry.id).limit(1)).first()
    if stray is not None:
        line_id, posting_id = stray
        raise LedgerIntegrityError(f"ledger line {line_id} names posting {posting_id}, which its tenant does not have",
                                   detail={"line": line_id, "posting": posting_id})
    postings = (select(LedgerPosting.id, LedgerPosting.tenant_id)
                .outerjoin(Tenant, Tenant.id == LedgerPosting.tenant_id).where(Tenant.id.is_(None)))
    if tenant_id is not None:
        postings = postings.where(LedgerPosting.tenant_id == tenant_id)
    orphan = session.execute(postings.order_by(LedgerPosting.id).limit(1)).first()
    if orphan is not None:
        raise LedgerIntegrityError(f"posting {orphan[0]} belongs to tenant {orphan[1]}, which does not exist",
                                   detail={"posting": orphan[0]})
