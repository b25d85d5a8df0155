"""Tables of the complaints domain (SPEC section 7): complaints, their answers, deadlines, public rate limits.

A complaint's tracking code is never stored: only its SHA-256 (to find the complaint) and a short prefix
(to name it to staff). The payer's contact is sealed with the data key (recoup.keys.sealing) and kept
masked beside it for display.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from recoup.db import Base, TenantRow, utcnow


class Complaint(TenantRow, Base):
    __tablename__ = "complaints"
    __table_args__ = (
        Index("ix_complaints_tenant_state", "tenant_id", "state"),
        Index("ix_complaints_deadline", "deadline_at"),
    )
    tenant_indexed = False

    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.merchant_id"), index=True)
    against: Mapped[str] = mapped_column(String(10))  # "merchant" (a payer's) or "provider" (a merchant's staff)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_prefix: Mapped[str] = mapped_column(String(8))
    amount_minor: Mapped[int | None] = mapped_column(default=None)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    occurred_at: Mapped[datetime | None] = mapped_column(default=None)
    last4: Mapped[str] = mapped_column(String(4), default="")
    terminal_id: Mapped[str] = mapped_column(String(8), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    contact_kind: Mapped[str] = mapped_column(String(10), default="")  # "email", "sms" or ""
    contact_sealed: Mapped[str | None] = mapped_column(Text, default=None)
    contact_masked: Mapped[str] = mapped_column(String(80), default="")
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")  # the language of messages to the payer
    state: Mapped[str] = mapped_column(String(20))
    escalation_level: Mapped[int] = mapped_column(default=0)
    owner_role: Mapped[str] = mapped_column(String(40), default="")
    deadline_at: Mapped[datetime | None] = mapped_column(default=None)
    escalated_deadline_at: Mapped[datetime | None] = mapped_column(default=None)  # escalated once per deadline
    journal_id: Mapped[int | None] = mapped_column(default=None)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True, default=None)
    rating: Mapped[int | None] = mapped_column(default=None)
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    rated_at: Mapped[datetime | None] = mapped_column(default=None)
    filed_by: Mapped[str] = mapped_column(String(80), default="payer")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)


class ComplaintAnswer(TenantRow, Base):
    """What staff told the payer: shown on the public status page, in order."""

    __tablename__ = "complaint_answers"

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    author: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)


class ComplaintSetting(Base):
    """A tenant's complaint deadlines (days), when they differ from the defaults of complaints.states."""

    __tablename__ = "complaint_settings"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True, autoincrement=False)
    first_answer_days: Mapped[int]
    close_days: Mapped[int]
    updated_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ComplaintThrottle(Base):
    """Public complaints counted per hour, per client address ("addr:IP") and per merchant ("merchant:ID")."""

    __tablename__ = "complaint_throttle"

    subject: Mapped[str] = mapped_column(String(200), primary_key=True)
    attempts: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(default=utcnow)
