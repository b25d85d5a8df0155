"""REST routes for reading and verifying the audit trail (auditors and admins)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from recoup.audit.models import AuditEntry
from recoup.audit.service import entry_tenant, tenant_entry_count, verify
from recoup.auth.roles import Permission
from recoup.web.deps import ApiUser, SessionDep
from recoup.web.params import Limit

router = APIRouter(tags=["audit"])

OUTSIDE = "the audit trail is broken outside this tenant's entries; the operator's `recoup audit verify` names where"


@router.get("/audit/entries")
def entries(principal: ApiUser, session: SessionDep, limit: Limit = 100) -> list[dict[str, object]]:
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
    """Whether the trail holds, with the caller's tenant's entry count; a break is named only when it is
    one of the tenant's own entries. The whole chain is the operator's: `recoup audit verify`."""
    principal.require(Permission.READ_AUDIT)
    _, found = verify(session)
    own = found is not None and found.seq > 0 and entry_tenant(session, found.seq) == principal.tenant_id
    reason = found.reason if own and found else OUTSIDE if found else None
    return {"entries": tenant_entry_count(session, principal.tenant_id), "ok": found is None,
            "first_bad_entry": found.seq if own and found else None, "reason": reason}
