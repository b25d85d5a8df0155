"""Messages to a case's customer (SPEC section 2 step 5): preview, send (into the outbox), list.

The customer's address is the one typed in, or else the contact of the case's order (sealed in
orders.contact_encrypted). Every message carries a reply link to a page of that case only. Services
flush; the caller (request, CLI) commits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from recoup.audit.service import record
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.cases.models import Case
from recoup.cases.recording import add_event
from recoup.cases.repository import get_case
from recoup.config import Settings
from recoup.errors import Conflict, InvalidInput
from recoup.keys.sealing import SealedUnreadable
from recoup.messaging.models import OutboxMessage
from recoup.messaging.outbox import enqueue
from recoup.messaging.replies import new_link, reply_url
from recoup.messaging.rules import Channel, RuleError, mask, normalise_address, parse_channel, refusal
from recoup.messaging.templates import case_facts, parse_key, parse_locale, render_message, template_for
from recoup.transactions.contacts import ContactSealer
from recoup.transactions.models import Order


@dataclass(frozen=True)
class MessageRequest:
    template: str
    channel: str
    to: str = ""
    locale: str = "zh_CN"


@dataclass(frozen=True)
class Draft:
    channel: Channel
    to: str
    to_masked: str
    subject: str
    body: str
    template: str
    locale: str


# The sealed contact of a case's order (its tenant, merchant and order number), built once.
_CONTACT = select(Order.contact_encrypted).where(Order.tenant_id == bindparam("tenant_id"),
                                                Order.merchant_id == bindparam("merchant_id"),
                                                Order.order_no == bindparam("order_no"))


def order_contact(session: Session, case: Case, settings: Settings) -> str:
    """The customer's contact from the case's order, opened from its seal ("" when there is none)."""
    if not case.order_no:
        return ""
    values = {"tenant_id": case.tenant_id, "merchant_id": case.merchant_id, "order_no": case.order_no}
    sealed = session.execute(_CONTACT, values).scalar_one_or_none()
    try:
        return ContactSealer(settings.keyring()).open(sealed, case.order_no) or ""
    except SealedUnreadable:
        return ""


def contact_for(session: Session, case: Case, settings: Settings, channel: Channel) -> str:
    """The order's contact when it is an address of this channel ("" otherwise)."""
    return address_of(order_contact(session, case, settings), channel)


def address_of(contact: str, channel: Channel) -> str:
    """An order's contact (as order_contact opened it) when it is an address of this channel ("" otherwise)."""
    try:
        return normalise_address(channel, contact) if contact else ""
    except RuleError:
        return ""


def _address(session: Session, case: Case, settings: Settings, channel: Channel, typed: str) -> str:
    if typed.strip():
        try:
            return normalise_address(channel, typed)
        except RuleError as bad:
            raise InvalidInput(str(bad), detail=refusal(bad)) from bad
    found = contact_for(session, case, settings, channel)
    if not found:
        what = "e-mail address" if channel is Channel.EMAIL else "mobile number"
        raise InvalidInput(f"the case's order has no customer {what}: type one in")
    return found


def draft(session: Session, case: Case, settings: Settings, request: MessageRequest, reply_link: str) -> Draft:
    try:
        channel = parse_channel(request.channel)
    except RuleError as bad:
        raise InvalidInput(str(bad), detail=refusal(bad)) from bad
    key, locale = parse_key(request.template), parse_locale(request.locale)
    address = _address(session, case, settings, channel, request.to)
    facts = case_facts(session, case, locale, settings.public_url, reply_link)
    filled = render_message(template_for(session, case.tenant_id, key, locale), facts)
    return Draft(channel, address, mask(address), filled.subject, filled.body, key, locale)


def preview_message(session: Session, principal: Principal, settings: Settings, reference: str,
                    request: MessageRequest) -> Draft:
    """The filled template as it would go out, without sending (the reply link is shown unfilled)."""
    principal.require(Permission.WORK_CASES)
    case = get_case(session, principal, reference)
    return draft(session, case, settings, request, reply_url(settings.public_url, "…"))


def send_message(session: Session, principal: Principal, settings: Settings, reference: str,
                 request: MessageRequest, now: datetime, idempotency_key: str | None = None) -> OutboxMessage:
    """Queue a message to the case's customer; the same idempotency key again returns the first."""
    principal.require(Permission.WORK_CASES)
    case = get_case(session, principal, reference)
    dedupe = _dedupe_key(principal, idempotency_key)
    found = replayed(session, principal, idempotency_key)
    if found is not None:
        if found.case_id != case.id:
            raise Conflict("this Idempotency-Key was used for a message of another case")
        return found
    link, token = new_link(session, case, now)
    chosen = draft(session, case, settings, request, reply_url(settings.public_url, token))
    message = enqueue(session, tenant_id=case.tenant_id, channel=chosen.channel.value, to=chosen.to,
                      subject=chosen.subject, body=chosen.body, now=now, case_id=case.id, dedupe_key=dedupe,
                      keys=settings.keyring(), created_by=principal.username, template_key=chosen.template)
    link.message_id = message.id
    add_event(session, case, principal.username, "message_queued",
              f"{chosen.template} ({chosen.locale}) by {chosen.channel.value} to {chosen.to_masked}",
              data={"message_id": message.id}, now=now)
    record(session, principal.actor(), "message.queue", "case", case.number, tenant_id=case.tenant_id,
           after={"message_id": message.id, "template": chosen.template, "channel": chosen.channel.value,
                  "to": chosen.to_masked}, at=now)
    return message


def replayed(session: Session, principal: Principal, idempotency_key: str | None) -> OutboxMessage | None:
    """The message an earlier request with this idempotency key queued, if any."""
    dedupe = _dedupe_key(principal, idempotency_key)
    if dedupe is None:
        return None
    return session.execute(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe)).scalar_one_or_none()


def _dedupe_key(principal: Principal, idempotency_key: str | None) -> str | None:
    if not idempotency_key or not idempotency_key.strip():
        return None
    digest = hashlib.sha256(idempotency_key.strip().encode()).hexdigest()
    return f"send:{principal.tenant_id}:{digest}"


def messages_of(session: Session, principal: Principal, reference: str) -> list[OutboxMessage]:
    principal.require(Permission.READ)
    case = get_case(session, principal, reference)
    return list(session.execute(select(OutboxMessage).where(OutboxMessage.case_id == case.id,
                                                            OutboxMessage.purpose != "alert")
                                .order_by(OutboxMessage.id)).scalars())


def message_row(message: OutboxMessage) -> dict[str, object]:
    """One message as the API and `recoup message list --format json` show it (the address masked)."""
    def at(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment is not None else None

    return {"id": message.id, "template": message.template_key or None, "channel": message.channel,
            "to": message.to_masked, "subject": message.subject, "body": message.body, "state": message.state,
            "attempts": message.attempts, "last_error": message.last_error or None,
            "next_attempt_at": at(message.next_attempt_at) if message.state in ("QUEUED", "FAILED") else None,
            "sent_at": at(message.sent_at), "created_at": at(message.created_at), "created_by": message.created_by}

