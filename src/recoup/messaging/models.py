"""Tables of the messaging domain: templates per tenant, the outbox, reply links and replies, alerts read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recoup.db import Base, utcnow


class MessageTemplate(Base):
    """A tenant's wording of one message in one language (absent: the shipped default is used)."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("tenant_id", "key", "locale", name="uq_message_templates_tenant_key_locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    key: Mapped[str] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """One message to send, written in the transaction that decided it; the worker delivers it.

    The address is sealed (context: `uid`) and shown only masked. `claimed_until` is the lease of the
    sender working on it: a sender killed mid-way leaves a lease that expires, and the message is tried
    again. `dedupe_key` makes a second enqueue of the same thing a no-op."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_state_next_attempt_at", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True, default=None)
    complaint_id: Mapped[int | None] = mapped_column(default=None)
    purpose: Mapped[str] = mapped_column(String(40), default="message")
    template_key: Mapped[str] = mapped_column(String(40), default="")
    channel: Mapped[str] = mapped_column(String(10))
    to_sealed: Mapped[str] = mapped_column(Text)
    to_masked: Mapped[str] = mapped_column(String(80))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="QUEUED")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    provider_id: Mapped[str] = mapped_column(String(200), default="")
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    created_by: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReplyLink(Base):
    """The payer's way back: /r/<token> (kept only hashed), one case, until it expires."""

    __tablename__ = "reply_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"), default=None)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MessageReply(Base):
    """What a payer answered through a reply link (the text and photos are also the case's evidence)."""

    __tablename__ = "message_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("reply_links.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    photos: Mapped[int] = mapped_column(default=0)
    address_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertRead(Base):
    """A user has read an alert (the badge counts the alerts without one)."""

    __tablename__ = "alert_reads"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
                                         autoincrement=False)
    alert_id: Mapped[int] = mapped_column(ForeignKey("case_alerts.id"), primary_key=True, autoincrement=False)
    read_at: Mapped[datetime] = mapped_column(default=utcnow)
