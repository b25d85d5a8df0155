"""Recovery actions (SPEC section 6) and the payment requests that collect a difference by QR code."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recoup.db import Base, utcnow


class RecoveryKind(StrEnum):
    REFUND = "REFUND"
    VOID = "VOID"
    REVERSAL = "REVERSAL"
    ADJUSTMENT = "ADJUSTMENT"
    COLLECT = "COLLECT"
    TRANSFER = "TRANSFER"


class RecoveryStatus(StrEnum):
    PENDING = "PENDING"  # recorded; the provider has not answered yet
    AWAITING_FUNDS = "AWAITING_FUNDS"  # recorded; the available balance did not cover it
    INSTRUCTED = "INSTRUCTED"  # the provider took it; a later file will confirm it
    CONFIRMED = "CONFIRMED"  # the money was seen
    FAILED = "FAILED"  # the provider refused it; the same request (same key) retries it


class RecoveryAction(Base):
    """One void, reversal, refund, adjustment, collection or transfer, recorded before it is performed."""

    __tablename__ = "recovery_actions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key", name="uq_recovery_actions_key"),
        Index("ix_recovery_actions_open", "tenant_id", "status"),
        Index("ix_recovery_actions_sale", "tenant_id", "merchant_id", "sale_rrn"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    merchant_id: Mapped[str] = mapped_column(String(15))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    # ADJUSTMENT: CREDIT or DEBIT (to the merchant); TRANSFER: IN or OUT of the merchant's account.
    direction: Mapped[str] = mapped_column(String(10), default="")
    purpose: Mapped[str] = mapped_column(String(10), default="RECOVERY")  # or FUNDING
    sale_terminal_id: Mapped[str] = mapped_column(String(8), default="")
    sale_rrn: Mapped[str] = mapped_column(String(12), default="")
    sale_settled: Mapped[bool] = mapped_column(default=False)
    idempotency_key: Mapped[str] = mapped_column(String(120))
    request_hash: Mapped[str] = mapped_column(String(64))
    bank_reference: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    held_minor: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=1)
    provider: Mapped[str] = mapped_column(String(40), default="")
    provider_reference: Mapped[str] = mapped_column(String(80), default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    response: Mapped[dict[str, object] | None] = mapped_column(JSON, default=None)
    funds_action_id: Mapped[int | None] = mapped_column(default=None)  # the transfer that funds it
    # When the balance is short: TRANSFER (ask the bank) or SETTLEMENTS (wait for coming settlements).
    funding: Mapped[str] = mapped_column(String(12), default="TRANSFER")
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    instructed_at: Mapped[datetime | None] = mapped_column(default=None)
    confirm_by: Mapped[datetime | None] = mapped_column(default=None)
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    confirmed_by: Mapped[str] = mapped_column(String(80), default="")  # journal:ID, settlement:ID or a user
    confirmed_txn: Mapped[str] = mapped_column(String(80), default="")  # terminal:rrn:type that carried it
    alerted_at: Mapped[datetime | None] = mapped_column(default=None)


class PaymentRequest(Base):
    """A request for the payer to pay a difference: EMV QR payload, public page, printable slip."""

    __tablename__ = "payment_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("recovery_actions.id"), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    bill_number: Mapped[str] = mapped_column(String(25), index=True)
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    merchant_name: Mapped[str] = mapped_column(String(200))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="OPEN")  # OPEN, PAID
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(default=None)


class QrAccountSetting(Base):
    """A tenant's merchant-account template for collection QR codes, overriding the settings' default
    (stored like the ladder's per-tenant settings)."""

    __tablename__ = "qr_account_settings"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True, autoincrement=False)
    account_tag: Mapped[str] = mapped_column(String(2))
    account_gui: Mapped[str] = mapped_column(String(32), default="")
    updated_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
