"""Re-sealing what is stored under older data keys with the current one (after `recoup keys rotate`).

Customer contacts (orders.contact_encrypted, complaints.contact_sealed), the addresses of queued and sent
messages (outbox_messages.to_sealed) and webhook signing secrets: each value is opened under
the key it names and sealed again under the current data key, all in the caller's transaction, so a
crash leaves every value under its old key or every value under the new one; both keys stay in the
ring, so either way everything opens. A value that opens with no key stops the reseal with a message
naming its row, and the caller's rollback changes nothing. Services flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from recoup.errors import RecoupError
from recoup.keys.sealing import SealedUnreadable, Sealer
from recoup.transactions.models import Order
from recoup.webhooks.models import WebhookEndpoint
from recoup.webhooks.secrets import secret_context

BATCH = 1000


class ResealFailed(RecoupError):
    status = 409


@dataclass(frozen=True)
class ResealReport:
    key_id: str
    contacts: int
    webhook_secrets: int
    message_addresses: int = 0


def reseal(session: Session, sealer: Sealer) -> ResealReport:
    """Seal every stored contact, message address and webhook secret under the sealer's current data key."""
    from recoup.complaints.models import Complaint
    from recoup.messaging.models import OutboxMessage

    contacts = _reseal_contacts(session, sealer)
    contacts += _reseal_column(session, sealer, Complaint, "contact_sealed",
                               lambda row: f"complaint:{row.code_hash}", "the contact of complaint")
    addresses = _reseal_column(session, sealer, OutboxMessage, "to_sealed", lambda row: f"outbox:{row.uid}",
                               "the address of message")
    secrets = _reseal_webhook_secrets(session, sealer)
    session.flush()
    return ResealReport(sealer.current_id, contacts, secrets, addresses)


def _reseal_column(session: Session, sealer: Sealer, model: Any, column: str, context: Callable[[Any], str],
                   what: str) -> int:
    """Every sealed value of `model.column` not under the current key, re-sealed (rows read in batches)."""
    done, after = 0, 0
    while True:
        rows = session.execute(select(model).where(model.id > after, getattr(model, column).is_not(None),
                                                   getattr(model, column) != "")
                               .order_by(model.id).limit(BATCH)).scalars().all()
        if not rows:
            return done
        after = rows[-1].id
        for row in rows:
            value = getattr(row, column)
            if not sealer.is_current(value):
                setattr(row, column, _resealed(sealer, value, context(row), f"{what} {row.id}"))
                done += 1
        session.flush()


def _resealed(sealer: Sealer, sealed: str, context: str, where: str) -> str | None:
    try:
        return sealer.seal(sealer.open(sealed, context), context)
    except SealedUnreadable as error:
        raise ResealFailed(f"{where}: {error.message}; nothing was re-sealed") from error


def _reseal_contacts(session: Session, sealer: Sealer) -> int:
    done, after = 0, 0
    while True:
        rows = session.execute(
            select(Order.id, Order.order_no, Order.contact_encrypted)
            .where(Order.id > after, Order.contact_encrypted.is_not(None), Order.contact_encrypted != "")
            .order_by(Order.id).limit(BATCH)
        ).all()
        if not rows:
            return done
        after = rows[-1].id
        changes = [{"id": row.id, "contact_encrypted": _resealed(sealer, row.contact_encrypted, row.order_no,
                                                                 f"the contact of order {row.order_no!r}")}
                   for row in rows if not sealer.is_current(row.contact_encrypted)]
        if changes:
            session.execute(update(Order), changes)
        done += len(changes)


def _reseal_webhook_secrets(session: Session, sealer: Sealer) -> int:
    done = 0
    for endpoint in session.execute(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).scalars():
        if endpoint.secret_encrypted and not sealer.is_current(endpoint.secret_encrypted):
            resealed = _resealed(sealer, endpoint.secret_encrypted, secret_context(endpoint.id),
                                 f"the signing secret of webhook {endpoint.id}")
            assert resealed is not None  # it opened to a non-empty secret
            endpoint.secret_encrypted = resealed
            done += 1
    return done
