"""Delivering the outbox: HMAC-SHA256 signed POSTs, retried with backoff until a receiver says 2xx.

A delivery is leased before it is sent, so two loops never send the same one at once; it is
marked delivered only after a 2xx. Receivers deduplicate by the event id (the `Recoup-Event-Id`
header and the body's "id"). Signature: `Recoup-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<body>" under the endpoint's secret>`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.config import get_settings
from recoup.db import Database, utcnow
from recoup.keys.ring import KeyRing
from recoup.ledger.service import exclusive
from recoup.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from recoup.webhooks.secrets import SecretUnreadable, open_secret

log = logging.getLogger("recoup.webhooks")
SIGNATURE_HEADER = "Recoup-Signature"
EVENT_HEADER = "Recoup-Event-Id"
BACKOFF_SECONDS = (10, 30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600)
MAX_ATTEMPTS = 12
LEASE = timedelta(seconds=60)
TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    event_id: str
    url: str
    secret: str | None  # None: the stored secret did not open, nothing is sent
    body: bytes


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    dead: int = 0


def event_body(payload: dict[str, object]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(secret: str, header: str, body: bytes, *, now: datetime | None = None,
                     tolerance_seconds: int = 300) -> bool:
    """What a receiver does: recompute the HMAC and refuse old timestamps (replays)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if not parts.get("t", "").isdigit() or "v1" not in parts:
        return False
    timestamp = int(parts["t"])
    moment = (now or utcnow()).timestamp()
    if abs(moment - timestamp) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), f"t={timestamp},v1={parts['v1']}")


def deliver_due(database: Database, *, now: datetime | None = None, client: httpx.Client | None = None,
                limit: int = 100, keys: KeyRing | None = None) -> DeliveryReport:
    """One pass: send every delivery that is due, record each outcome; returns what happened.
    `keys` open the endpoints' signing secrets (default: the settings' key ring)."""
    moment = now or utcnow()
    report = DeliveryReport()
    claimed = _claim_due(database, moment, limit, keys)
    if not claimed:
        return report
    owned = client is None
    http = client or httpx.Client(timeout=TIMEOUT_SECONDS)
    try:
        for item in claimed:
            error = _send(http, item, moment)
            with database.unit_of_work() as session:
                _record_outcome(session, item.delivery_id, error, moment, report)
    finally:
        if owned:
            http.close()
    return report


def _send(http: httpx.Client, item: Claimed, moment: datetime) -> str:
    if item.secret is None:
        return "the signing secret opens with no data key (key file lost, or RECOUP_DATA_KEY changed?)"
    headers = {"content-type": "application/json", EVENT_HEADER: item.event_id,
               SIGNATURE_HEADER: sign(item.secret, int(moment.timestamp()), item.body)}
    try:
        answer = http.post(item.url, content=item.body, headers=headers)
    except httpx.HTTPError as failure:
        return f"{type(failure).__name__}: {failure}"[:500]
    return "" if 200 <= answer.status_code < 300 else f"HTTP {answer.status_code}"


def _claim_due(database: Database, moment: datetime, limit: int, keys: KeyRing | None) -> list[Claimed]:
    with database.unit_of_work() as session:
        exclusive(session)
        deliveries = session.execute(
            select(WebhookDelivery).where(
                WebhookDelivery.status == "PENDING", WebhookDelivery.next_attempt_at <= moment,
                (WebhookDelivery.leased_until.is_(None)) | (WebhookDelivery.leased_until < moment),
            ).order_by(WebhookDelivery.id).limit(limit).with_for_update(skip_locked=True)
        ).scalars().all()
        claimed = []
        for delivery in deliveries:
            delivery.leased_until = moment + LEASE
            event = session.get(WebhookEvent, delivery.event_id)
            endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
            if event is None or endpoint is None or not endpoint.active:
                delivery.status = "DEAD"
                delivery.last_error = "endpoint disabled"
                continue
            keys = keys or get_settings().keyring()  # loaded only when an endpoint's secret is needed
            secret = _secret_of(endpoint, keys)
            claimed.append(Claimed(delivery.id, event.id, endpoint.url, secret, event_body(event.payload)))
        return claimed


def _secret_of(endpoint: WebhookEndpoint, keys: KeyRing) -> str | None:
    try:
        return open_secret(keys, endpoint.id, endpoint.secret_encrypted)
    except SecretUnreadable as error:
        log.error("%s", error.message)
        return None


def _record_outcome(session: Session, delivery_id: int, error: str, moment: datetime, report: DeliveryReport) -> None:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        return
    delivery.attempts += 1
    delivery.leased_until = None
    if not error:
        delivery.status = "DELIVERED"
        delivery.delivered_at = moment
        delivery.last_error = ""
        report.delivered += 1
        return
    delivery.last_error = error
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = "DEAD"
        report.dead += 1
        return
    wait = BACKOFF_SECONDS[min(delivery.attempts - 1, len(BACKOFF_SECONDS) - 1)]
    delivery.next_attempt_at = moment + timedelta(seconds=wait)
    report.failed += 1
