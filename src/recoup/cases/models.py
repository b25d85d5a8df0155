"""Cases (SPEC section 5): the case, the transactions it claims, its timeline, alerts and ladder settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recoup.db import Base, utcnow


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_tenant_state", "tenant_id", "state"),
        Index("ix_cases_tenant_merchant", "tenant_id", "merchant_id"),
        Index("ix_cases_deadline", "deadline_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # RC-2026-000123
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.merchant_id"))
    terminal_id: Mapped[str | None] = mapped_column(String(8), default=None)
    kind: Mapped[str] = mapped_column(String(30))
    cause: Mapped[str | None] = mapped_column(String(30), default=None)
    direction: Mapped[str] = mapped_column(String(30))
    currency: Mapped[str] = mapped_column(String(3))
    at_stake_minor: Mapped[int] = mapped_column(default=0)
    recovered_minor: Mapped[int] = mapped_column(default=0)
    rrn: Mapped[str] = mapped_column(String(12), default="", index=True)
    related_rrn: Mapped[str] = mapped_column(String(12), default="")
    order_no: Mapped[str] = mapped_column(String(64), default="")
    txn_time: Mapped[datetime | None] = mapped_column(default=None)
    state: Mapped[str] = mapped_column(String(20))
    rung: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str | None] = mapped_column(String(20), default=None)
    rung_started_at: Mapped[datetime]
    deadline_at: Mapped[datetime]
    owner: Mapped[str] = mapped_column(String(80), default="")
    owner_role: Mapped[str] = mapped_column(String(40), default="")
    # The deadline the worker already alerted about: an alert goes out once per deadline.
    alerted_deadline_at: Mapped[datetime | None] = mapped_column(default=None)
    summary: Mapped[str] = mapped_column(Text, default="")
    opened_by: Mapped[str] = mapped_column(String(80))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)


class CaseKey(Base):
    """A transaction (or terminal-day) a case claims: one case per transaction, enforced by the index."""

    __tablename__ = "case_keys"
    __table_args__ = (UniqueConstraint("tenant_id", "key", name="uq_case_keys_tenant_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    key: Mapped[str] = mapped_column(String(120))


class CaseEvent(Base):
    """One line of a case's timeline: who changed what, when."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(80))
    event: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(20), default=None)
    to_state: Mapped[str | None] = mapped_column(String(20), default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, object] | None] = mapped_column(JSON, default=None)


class CaseAlert(Base):
    """Something a person must look at: an overdue rung, a recovery not confirmed in time, a new complaint.

    Most alerts concern a case; a complaint's alert may come before any case exists, so it names the
    complaint and its merchant instead (the merchant scopes who may see it, as a case's merchant does)."""

    __tablename__ = "case_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True, default=None)
    complaint_id: Mapped[int | None] = mapped_column(index=True, default=None)
    merchant_id: Mapped[str | None] = mapped_column(String(15), default=None)
    action_id: Mapped[int | None] = mapped_column(default=None)
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(80), default="")
    owner_role: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseCounter(Base):
    """The last case number handed out per year (numbers are unique across tenants)."""

    __tablename__ = "case_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


class LadderSetting(Base):
    """A tenant's changes to the default ladder (see `LadderConfig.with_overrides`)."""

    __tablename__ = "ladder_settings"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True, autoincrement=False)
    overrides: Mapped[dict[str, object]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
