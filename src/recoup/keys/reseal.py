"""Re-sealing what is stored under older data keys with the current one (after `recoup keys rotate`).

Customer contacts (orders.contact_encrypted) and webhook signing secrets: each value is opened under
the key it names and sealed again under the current data key, all in the caller's transaction, so a
crash leaves every value under its old key or every value under the new one; both keys stay in the
ring, so either way everything opens. A value that opens with no key stops the reseal with a message
naming its row, and the caller's rollback changes nothing. Services flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def reseal(session: Session, sealer: Sealer) -> ResealReport:
    """Seal every stored contact and webhook secret under the sealer's current data key."""
    contacts = _reseal_contacts(session, sealer)
    secrets = _reseal_webhook_secrets(session, sealer)
    session.flush()
    return ResealReport(sealer.current_id, contacts, secrets)


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
