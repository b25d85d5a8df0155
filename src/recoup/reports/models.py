"""Tables of the reports domain: report schedules and the periods they queued, prevention
acknowledgements and the daily rollups. (messaging.attachments is imported so that its table, the
files of an outbox message, is part of the metadata; it is created by this domain's migration, 0012.)"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recoup.db import Base, utcnow
from recoup.messaging.attachments import OutboxAttachment
from recoup.transactions.models import code_type

__all__ = ["JournalCashierDay", "JournalTerminalDay", "OutboxAttachment", "PreventionAcknowledgement",
           "ReportSchedule", "ReportSent", "RollupWatermark"]


class ReportSchedule(Base):
    """A daily or weekly summary e-mailed to a merchant's finance users (merchant_id set) or to the tenant's
    operations users (merchant_id NULL). `scope` is the merchant id or "" (unique with the frequency)."""

    __tablename__ = "report_schedules"
    __table_args__ = (UniqueConstraint("tenant_id", "scope", "frequency", name="uq_report_schedules_scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    merchant_id: Mapped[str | None] = mapped_column(ForeignKey("merchants.merchant_id"), default=None)
    scope: Mapped[str] = mapped_column(String(15), default="")
    frequency: Mapped[str] = mapped_column(String(10))
    hour: Mapped[int] = mapped_column(default=8)
    minute: Mapped[int] = mapped_column(default=0)
    weekday: Mapped[int | None] = mapped_column(default=None)  # weekly: 0 = Monday ... 6 = Sunday
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_period: Mapped[str] = mapped_column(String(40), default="")
    updated_by: Mapped[str] = mapped_column(String(80), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportSent(Base):
    """A period a schedule has queued: written with its messages, so a period is queued exactly once."""

    __tablename__ = "report_periods_sent"
    __table_args__ = (UniqueConstraint("schedule_id", "period", name="uq_report_periods_sent_schedule_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("report_schedules.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(40))
    first_day: Mapped[date]
    last_day: Mapped[date]
    recipients: Mapped[int] = mapped_column(default=0)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)


class PreventionAcknowledgement(Base):
    """Someone acknowledged a prevention-list entry, with a note (also an audit entry)."""

    __tablename__ = "prevention_acknowledgements"
    __table_args__ = (Index("ix_prevention_acknowledgements_tenant_key", "tenant_id", "entry_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    list_key: Mapped[str] = mapped_column(String(20))
    merchant_id: Mapped[str] = mapped_column(String(15), default="")
    entry_key: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(Text)
    acknowledged_by: Mapped[str] = mapped_column(String(120))
    acknowledged_at: Mapped[datetime]
    audit_seq: Mapped[int | None] = mapped_column(default=None)  # the audit entry that records it


class RollupWatermark(Base):
    """One row (id 1): the journal lines with an id up to `last_id` are counted in the daily rollups."""

    __tablename__ = "report_rollup_watermark"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class JournalTerminalDay(Base):
    """Journal lines per tenant, merchant-local day, currency, merchant and terminal (recoup.reports.rollup)."""

    __tablename__ = "report_terminal_days"

    tenant_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    local_date: Mapped[date] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(code_type(15), primary_key=True)
    terminal_id: Mapped[str] = mapped_column(code_type(8), primary_key=True)
    lines: Mapped[int] = mapped_column(default=0)
    sales: Mapped[int] = mapped_column(default=0)  # approved sales, their amount, approved refunds
    sales_minor: Mapped[int] = mapped_column(default=0)
    refunds: Mapped[int] = mapped_column(default=0)


class JournalCashierDay(Base):
    """Journal lines naming a cashier, per tenant, merchant-local day, currency, merchant and cashier."""

    __tablename__ = "report_cashier_days"

    tenant_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    local_date: Mapped[date] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(code_type(15), primary_key=True)
    cashier_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    lines: Mapped[int] = mapped_column(default=0)
