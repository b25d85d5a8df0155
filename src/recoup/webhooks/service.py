"""The webhook outbox: events are written in the caller's transaction, one delivery per endpoint.

A change and the event that reports it commit together or not at all; the delivery loop
(`recoup.webhooks.delivery`) sends them later, so an outage of a receiver loses nothing.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from urllib.parse import urlparse

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.audit.service import record
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.db import utcnow
from recoup.errors import InvalidInput, NotFound
from recoup.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

EVENT_TYPES = (
    "case.opened", "case.updated", "case.escalated", "case.alert",
    "action.created", "action.instructed", "action.failed", "action.confirmed",
)


def emit(session: Session, tenant_id: int, event_type: str, data: dict[str, object],
         now: datetime | None = None) -> WebhookEvent:
    """Append an event to the outbox, with a pending delivery for each active endpoint of the tenant."""
    if event_type not in EVENT_TYPES:
        raise InvalidInput(f"unknown webhook event type {event_type!r}")
    moment = now or utcnow()
    event_id = f"evt_{secrets.token_hex(12)}"
    payload: dict[str, object] = {"id": event_id, "type": event_type, "created_at": moment.isoformat(), "data": data}
    event = WebhookEvent(id=event_id, tenant_id=tenant_id, type=event_type, payload=payload, created_at=moment)
    session.add(event)
    endpoints = session.execute(
        select(WebhookEndpoint.id).where(WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.active.is_(True))
    ).scalars()
    session.flush()
    session.add_all(WebhookDelivery(event_id=event.id, endpoint_id=endpoint_id, next_attempt_at=moment)
                    for endpoint_id in endpoints)
    session.flush()
    return event


def add_endpoint(session: Session, principal: Principal, url: str, secret: str | None = None) -> WebhookEndpoint:
    """Register a receiver for the caller's tenant; the signing secret is generated when not given."""
    principal.require(Permission.MANAGE_MERCHANTS)
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidInput(f"a webhook URL is http(s)://host/path, not {url!r}")
    signing_secret = secret or f"whsec_{secrets.token_urlsafe(24)}"
    if len(signing_secret) < 16:
        raise InvalidInput("a webhook signing secret has at least 16 characters")
    endpoint = WebhookEndpoint(tenant_id=principal.tenant_id, url=url.strip(), secret=signing_secret,
                               created_by=principal.username)
    session.add(endpoint)
    session.flush()
    record(session, principal.actor(), "webhook.add", "webhook_endpoint", str(endpoint.id), after={"url": endpoint.url})
    return endpoint


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
        endpoint.active = False
        record(session, principal.actor(), "webhook.disable", "webhook_endpoint", str(endpoint.id),
               before={"active": True}, after={"active": False})
    return endpoint
