"""REST routes for reading and verifying the audit trail (auditors and admins)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from recoup.audit.models import AuditEntry
from recoup.audit.service import verify
from recoup.auth.roles import Permission
from recoup.web.deps import ApiUser, SessionDep

router = APIRouter(tags=["audit"])


@router.get("/audit/entries")
def entries(principal: ApiUser, session: SessionDep, limit: int = 100) -> list[dict[str, object]]:
    principal.require(Permission.READ_AUDIT)
    rows = session.execute(
        select(AuditEntry).where(AuditEntry.tenant_id == principal.tenant_id)
        .order_by(AuditEntry.seq.desc()).limit(max(1, min(limit, 1000)))
    ).scalars()
    return [{"seq": e.seq, "at": e.at.isoformat(), "actor": e.actor, "action": e.action,
             "object_type": e.object_type, "object_id": e.object_id, "origin": e.origin,
             "before": e.before, "after": e.after} for e in rows]


@router.get("/audit/verify")
def verify_trail(principal: ApiUser, session: SessionDep) -> dict[str, object]:
    principal.require(Permission.READ_AUDIT)
    count, found = verify(session)
    return {"entries": count, "ok": found is None,
            "first_bad_entry": found.seq if found else None, "reason": found.reason if found else None}
