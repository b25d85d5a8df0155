"""The webhook outbox: events are written in the caller's transaction, one delivery per endpoint.

A change and the event that reports it commit together or not at all; the delivery loop
(`recoup.webhooks.delivery`) sends them later, so an outage of a receiver loses nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast
from urllib.parse import urlparse

from sqlalchemy import bindparam, event, insert, select
from sqlalchemy.orm import Session, SessionTransaction

from recoup.audit.service import record
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.db import utcnow
from recoup.deferred_rows import defer, deferred_kind, write_deferred
from recoup.errors import InvalidInput, NotFound
from recoup.free_text import masked_row
from recoup.keys.ring import KeyRing
from recoup.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from recoup.webhooks.secrets import seal_secret

MAX_URL, MIN_SECRET, MAX_SECRET = 500, 16, 200
EVENT_TYPES = (
    "case.opened", "case.updated", "case.escalated", "case.alert",
    "action.created", "action.instructed", "action.failed", "action.confirmed",
    "dispute.opened", "dispute.updated",
    "audit.checkpoint",  # a signed checkpoint of the tenant's audit entries: recoup.audit.checkpoints
)


def emit(session: Session, tenant_id: int, event_type: str, data: dict[str, object],
         now: datetime | None = None) -> WebhookEvent:
    """Append an event to the outbox, with a pending delivery for each active endpoint of the tenant."""
    return emit_many(session, tenant_id, [(event_type, data)], now)[0]


# The outbox is written on every change of a case: its statements are built once, and the events go in by one
# Core insert (no ORM object to flush; their ids are made here, so nothing is read back), masked by
# recoup.free_text as an object's payload would be.
_ACTIVE_ENDPOINTS = (select(WebhookEndpoint.id)
                     .where(WebhookEndpoint.tenant_id == bindparam("tenant_id"), WebhookEndpoint.active.is_(True))
                     .order_by(WebhookEndpoint.id))
_INSERT_EVENTS = insert(cast(Any, WebhookEvent.__table__))
_INSERT_DELIVERIES = insert(cast(Any, WebhookDelivery.__table__))
# The tenants' active endpoints as this transaction first read them (a transaction may write its events more than
# once: before each statement on the outbox). Forgotten when the transaction ends, or when this session adds or
# disables an endpoint.
_ENDPOINTS_READ = "recoup.webhooks.active_endpoints"


def _active_endpoints(session: Session, tenant_id: int) -> list[int]:
    read: dict[int, list[int]] = session.info.setdefault(_ENDPOINTS_READ, {})
    if tenant_id not in read:
        read[tenant_id] = list(session.execute(_ACTIVE_ENDPOINTS, {"tenant_id": tenant_id}).scalars())
    return read[tenant_id]


@event.listens_for(Session, "after_transaction_end")
def _forget_endpoints(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the session's own transaction (not a flush's or a savepoint's)
        session.info.pop(_ENDPOINTS_READ, None)


def _before_endpoints_change(session: Session) -> None:
    """The events emitted so far get the deliveries of the endpoints active when they were emitted."""
    write_deferred(session)
    session.info.pop(_ENDPOINTS_READ, None)


def emit_many(session: Session, tenant_id: int, events: Sequence[tuple[str, dict[str, object]]],
              now: datetime | None = None) -> list[WebhookEvent]:
    """Append events (type, data) to the outbox in this order, each with a pending delivery per active
    endpoint of the tenant. They are written when the transaction commits (or before a statement on the outbox:
    recoup.deferred_rows), with the transaction's others: one read of the endpoints and one insert for all (the
    events returned are not in the session: read them back by their ids)."""
    for event_type, _ in events:
        if event_type not in EVENT_TYPES:
            raise InvalidInput(f"unknown webhook event type {event_type!r}")
    moment = now or utcnow()
    rows = [_event(tenant_id, event_type, data, moment) for event_type, data in events]
    for row in rows:
        defer(session, "webhook_events", row)
    return rows


@deferred_kind("webhook_events", tables=("webhook_events", "webhook_deliveries"))
def _write_events(session: Session, rows: list[WebhookEvent]) -> None:
    """The events before their deliveries (foreign key); executemany: nobody needs their ids back."""
    session.execute(_INSERT_EVENTS, [masked_row(WebhookEvent, {
        "id": row.id, "tenant_id": row.tenant_id, "type": row.type, "payload": row.payload,
        "created_at": row.created_at}) for row in rows])
    deliveries = [{"event_id": row.id, "endpoint_id": endpoint_id, "status": "PENDING", "attempts": 0,
                   "next_attempt_at": row.created_at, "last_error": ""}
                  for row in rows for endpoint_id in _active_endpoints(session, row.tenant_id)]
    for start in range(0, len(deliveries), 500):
        session.execute(_INSERT_DELIVERIES, deliveries[start:start + 500])


def _event(tenant_id: int, event_type: str, data: dict[str, object], moment: datetime) -> WebhookEvent:
    event_id = f"evt_{secrets.token_hex(12)}"
    payload: dict[str, object] = {"id": event_id, "type": event_type, "created_at": moment.isoformat(), "data": data}
    return WebhookEvent(id=event_id, tenant_id=tenant_id, type=event_type, payload=payload, created_at=moment)


def add_endpoint(session: Session, principal: Principal, url: str, secret: str | None = None, *,
                 keys: KeyRing) -> tuple[WebhookEndpoint, str]:
    """Register a receiver for the caller's tenant; returns it with its signing secret (generated when
    not given), which is stored sealed with the ring's data key and shown to the caller this once."""
    principal.require(Permission.MANAGE_MERCHANTS)
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url.strip()) > MAX_URL:
        raise InvalidInput(f"a webhook URL is http(s)://host/path of at most {MAX_URL} characters, not {url!r}")
    signing_secret = secret or f"whsec_{secrets.token_urlsafe(24)}"
    if not MIN_SECRET <= len(signing_secret) <= MAX_SECRET:
        raise InvalidInput(f"a webhook signing secret has {MIN_SECRET} to {MAX_SECRET} characters")
    _before_endpoints_change(session)
    endpoint = WebhookEndpoint(tenant_id=principal.tenant_id, url=url.strip(), secret_encrypted="",
                               created_by=principal.username)
    session.add(endpoint)
    session.flush()
    endpoint.secret_encrypted = seal_secret(keys, endpoint.id, signing_secret)
    session.flush()
    record(session, principal.actor(), "webhook.add", "webhook_endpoint", str(endpoint.id), after={"url": endpoint.url})
    return endpoint, signing_secret


def list_endpoints(session: Session, principal: Principal) -> list[WebhookEndpoint]:
    principal.require(Permission.MANAGE_MERCHANTS)
    query = select(WebhookEndpoint).where(WebhookEndpoint.tenant_id == principal.tenant_id).order_by(WebhookEndpoint.id)
    return list(session.execute(query).scalars())


def disable_endpoint(session: Session, principal: Principal, endpoint_id: int) -> WebhookEndpoint:
    principal.require(Permission.MANAGE_MERCHANTS)
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.tenant_id != principal.tenant_id:
        raise NotFound(f"no webhook endpoint {endpoint_id}")
    if endpoint.active:
        _before_endpoints_change(session)
        endpoint.active = False
        record(session, principal.actor(), "webhook.disable", "webhook_endpoint", str(endpoint.id),
               before={"active": True}, after={"active": False})
    return endpoint
