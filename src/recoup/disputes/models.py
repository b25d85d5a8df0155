"""Tables of the disputes domain: the dispute of a case, what was submitted, reason codes, request keys."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recoup.db import Base, TenantRow


class Dispute(TenantRow, Base):
    """One scheme cycle on a case: retrieval request, chargeback, re-presentment, (pre-)arbitration."""

    __tablename__ = "disputes"
    __table_args__ = (
        Index("ix_disputes_tenant_due", "tenant_id", "state", "due_on"),
        Index("ix_disputes_tenant_reference", "tenant_id", "scheme", "reference"),
    )
    tenant_indexed = False

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    merchant_id: Mapped[str] = mapped_column(String(15))
    scheme: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    reason_code: Mapped[str] = mapped_column(String(12))
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str] = mapped_column(String(40), default="")
    rrn: Mapped[str] = mapped_column(String(12), default="")
    raised_by: Mapped[str] = mapped_column(String(20), default="ISSUER")
    received_on: Mapped[date]
    due_on: Mapped[date]
    outcome: Mapped[str | None] = mapped_column(String(20), default=None)
    outcome_on: Mapped[date | None] = mapped_column(default=None)
    debited_minor: Mapped[int] = mapped_column(default=0)
    fee_minor: Mapped[int] = mapped_column(default=0)
    credited_minor: Mapped[int] = mapped_column(default=0)
    debit_confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    credit_confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    alerted_on: Mapped[date | None] = mapped_column(default=None)  # the last day its owner was alerted
    opened_by: Mapped[str] = mapped_column(String(80))
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DisputeSubmission(TenantRow, Base):
    """What was sent to the scheme at one stage: frozen, with the SHA-256 of its manifest."""

    __tablename__ = "dispute_submissions"
    tenant_indexed = False

    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id"), index=True)
    stage: Mapped[str] = mapped_column(String(20))
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    late_reason: Mapped[str] = mapped_column(Text, default="")
    submitted_by: Mapped[str] = mapped_column(String(80))
    submitted_at: Mapped[datetime]


class DisputeSubmissionItem(Base):
    """One document of a submission, as it was when submitted."""

    __tablename__ = "dispute_submission_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("dispute_submissions.id"), index=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]


class ReasonCode(TenantRow, Base):
    """A tenant's reason code of a scheme, its words in both languages and the evidence it calls for."""

    __tablename__ = "dispute_reason_codes"
    __table_args__ = (UniqueConstraint("tenant_id", "scheme", "code", name="uq_dispute_reason_codes_code"),)
    tenant_indexed = False

    scheme: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(12))
    label_zh: Mapped[str] = mapped_column(String(120))
    label_en: Mapped[str] = mapped_column(String(120))
    evidence_kinds: Mapped[list[str]] = mapped_column(JSON)


class SchemeRule(TenantRow, Base):
    """A scheme the tenant handles (the three common ones are seeded) and the fee of its chargebacks."""

    __tablename__ = "dispute_schemes"
    __table_args__ = (UniqueConstraint("tenant_id", "scheme", name="uq_dispute_schemes_scheme"),)
    tenant_indexed = False

    scheme: Mapped[str] = mapped_column(String(20))
    chargeback_fee_minor: Mapped[int] = mapped_column(default=0)


class DisputeRequest(TenantRow, Base):
    """An idempotency key of a submission or money move: the same key again answers the first result."""

    __tablename__ = "dispute_requests"
    __table_args__ = (UniqueConstraint("tenant_id", "idempotency_key", name="uq_dispute_requests_key"),)
    tenant_indexed = False

    idempotency_key: Mapped[str] = mapped_column(String(120))
    request_hash: Mapped[str] = mapped_column(String(64))
    dispute_id: Mapped[int | None] = mapped_column(ForeignKey("disputes.id"), default=None)
    response: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime]
