"""Idempotency keys of the dispute requests that submit or move money (the rules of
recoup.recovery.idempotency): the same key and request again answers the first result and acts once;
the same key with another request is refused (409)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.cases.recording import audited
from recoup.db import Database, exclusive
from recoup.disputes.models import DisputeRequest
from recoup.recovery.idempotency import KeyReused, StillInFlight, fingerprint, require_key

Work = Callable[[Session], dict[str, object]]


def keyed(database: Database, principal: Principal, action: str, object_id: str, key: str | None,
          parameters: Mapping[str, object], work: Work, now: datetime) -> tuple[dict[str, object], bool]:
    """Perform `work` once per key; returns its answer and whether it was replayed."""
    cleaned = require_key(key)
    request_hash = fingerprint({"action": action, "object": object_id, **parameters})
    attempt = {**parameters, "idempotency_key": cleaned}
    with audited(database, principal, action, object_id, attempt) as session:
        exclusive(session)
        query = select(DisputeRequest).where(DisputeRequest.tenant_id == principal.tenant_id,
                                             DisputeRequest.idempotency_key == cleaned)
        existing = session.execute(query.with_for_update()).scalar_one_or_none()
        if existing is not None:
            if existing.request_hash != request_hash:
                raise KeyReused(f"idempotency key {cleaned!r} was already used for another request; use a new key")
            return dict(existing.response), True
        answer = work(session)
        dispute_id = answer.get("id")
        session.add(DisputeRequest(tenant_id=principal.tenant_id, idempotency_key=cleaned, request_hash=request_hash,
                                   dispute_id=dispute_id if isinstance(dispute_id, int) else None,
                                   response=answer, created_at=now))
        try:
            session.flush()
        except IntegrityError:
            raise StillInFlight(f"a request with key {cleaned!r} is being performed right now; "
                                "send it again to read its answer") from None
        return answer, False


