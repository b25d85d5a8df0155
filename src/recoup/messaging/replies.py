"""The payer's replies (SPEC section 7): every message carries /r/<token>, a page of that case only.

The token is long and random and stored only as its SHA-256; it expires after LINK_DAYS. A reply (text
and up to MAX_PHOTOS photos) lands on the case's timeline and evidence and raises an alert to the
owner. Abuse: at most REPLIES_PER_WINDOW replies per address in WINDOW, photos checked by their bytes.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recoup.audit.service import Actor, record
from recoup.cases.models import Case
from recoup.cases.recording import add_event
from recoup.config import Settings
from recoup.errors import Conflict, InvalidInput, NotFound, RecoupError
from recoup.messaging.models import MessageReply, OutboxMessage, ReplyLink
from recoup.messaging.vault import keep

LINK_DAYS = 30
MAX_TEXT = 4000
MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 10 * 1024 * 1024  # the reply route's body cap (web.limits) is built from these
REPLIES_PER_WINDOW = 5
WINDOW = timedelta(minutes=15)
_IMAGE_MAGIC = {b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png", b"GIF87a": "gif", b"GIF89a": "gif"}


class LinkNotValid(NotFound):
    """A reply link that never existed (or was altered)."""


class LinkExpired(RecoupError):
    status = 410


class TooManyReplies(RecoupError):
    status = 429


@dataclass(frozen=True)
class Photo:
    filename: str
    content: bytes


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def reply_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/r/{token}"


def new_link(session: Session, case: Case, now: datetime) -> tuple[ReplyLink, str]:
    token = secrets.token_urlsafe(32)
    link = ReplyLink(tenant_id=case.tenant_id, case_id=case.id, token_hash=_hash(token),
                     expires_at=now + timedelta(days=LINK_DAYS), created_at=now)
    session.add(link)
    session.flush()
    return link, token


def find_link(session: Session, token: str, now: datetime) -> ReplyLink:
    """The link of this token, or a clear refusal: unknown (404) or expired (410)."""
    if not 20 <= len(token) <= 100:
        raise LinkNotValid("this reply link is not valid: please use the link exactly as it came in the message")
    link = session.execute(select(ReplyLink).where(ReplyLink.token_hash == _hash(token))).scalar_one_or_none()
    if link is None:
        raise LinkNotValid("this reply link is not valid: please use the link exactly as it came in the message")
    if link.expires_at <= now:
        raise LinkExpired("this reply link has expired: please contact the merchant")
    return link


@dataclass(frozen=True)
class ReplyPage:
    case_number: str
    merchant_id: str
    subject: str
    body: str
    replies: int


def reply_page(session: Session, token: str, now: datetime) -> ReplyPage:
    """What the payer sees: the case number and the message sent, nothing else of the case."""
    link = find_link(session, token, now)
    case = session.get(Case, link.case_id)
    message = session.get(OutboxMessage, link.message_id) if link.message_id is not None else None
    count = session.execute(select(func.count()).select_from(MessageReply)
                            .where(MessageReply.link_id == link.id)).scalar_one()
    return ReplyPage(case.number if case else "", case.merchant_id if case else "",
                     message.subject if message else "", message.body if message else "", count)


def _check_photos(photos: list[Photo]) -> list[tuple[Photo, str]]:
    if len(photos) > MAX_PHOTOS:
        raise InvalidInput(f"at most {MAX_PHOTOS} photos", detail={"reason": "at most {count} photos",
                                                                  "values": {"count": MAX_PHOTOS}})
    checked = []
    for photo in photos:
        if len(photo.content) > MAX_PHOTO_BYTES:
            raise InvalidInput("a photo is at most 1 MiB")
        kind = next((ext for magic, ext in _IMAGE_MAGIC.items() if photo.content.startswith(magic)), None)
        if kind is None:
            raise InvalidInput("a photo must be a JPEG, PNG or GIF image")
        checked.append((photo, kind))
    return checked


def receive_reply(session: Session, settings: Settings, token: str, text: str, photos: list[Photo], address: str,
                  now: datetime) -> MessageReply:
    """A payer's answer: on the case's timeline and evidence, with an alert to the owner."""
    link = find_link(session, token, now)
    words = text.strip()
    if not words or len(words) > MAX_TEXT:
        raise InvalidInput(f"please write your answer (1 to {MAX_TEXT} characters)")
    checked = _check_photos(photos)
    address_hash = _hash(f"reply:{address}")
    recent = session.execute(select(func.count()).select_from(MessageReply).where(
        MessageReply.address_hash == address_hash, MessageReply.created_at > now - WINDOW)).scalar_one()
    if recent >= REPLIES_PER_WINDOW:
        raise TooManyReplies("too many replies from your address: please try again in a quarter of an hour")
    case = session.get(Case, link.case_id)
    if case is None:
        raise LinkNotValid("this reply link is not valid")
    reply = MessageReply(tenant_id=case.tenant_id, case_id=case.id, link_id=link.id, text=words,
                         photos=len(checked), address_hash=address_hash, created_at=now)
    session.add(reply)
    session.flush()
    _keep_reply(session, settings, case, reply, checked, now)
    payer = Actor("payer", case.tenant_id, "public")
    add_event(session, case, payer.name, "reply", words[:500], data={"reply_id": reply.id, "photos": len(checked)},
              now=now)
    record(session, payer, "message.reply", "case", case.number, tenant_id=case.tenant_id,
           after={"reply_id": reply.id, "photos": len(checked)}, at=now)
    from recoup.cases.service import raise_alert

    raise_alert(session, case, "NEW_REPLY", f"the customer replied: {words[:200]}", now, actor=payer)
    return reply


def _keep_reply(session: Session, settings: Settings, case: Case, reply: MessageReply,
                checked: list[tuple[Photo, str]], now: datetime) -> None:
    keep(session, settings, tenant_id=case.tenant_id, case_id=case.id, kind="reply", name=f"reply-{reply.id}.txt",
         content=reply.text.encode(), added_by="payer", now=now)
    for position, (photo, kind) in enumerate(checked, start=1):
        try:
            keep(session, settings, tenant_id=case.tenant_id, case_id=case.id, kind="photo",
                 name=f"reply-{reply.id}-photo-{position}.{kind}", content=photo.content, added_by="payer", now=now)
        except Conflict:  # the same photo is already evidence of the case: it is kept once
            continue
