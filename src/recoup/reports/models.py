"""Tables of the reports domain: report schedules and the periods they queued, prevention
acknowledgements and the daily and monthly rollups. (messaging.attachments is imported so that its table, the
files of an outbox message, is part of the metadata; it is created by this domain's migration, 0012.)"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recoup.db import Base, utcnow
from recoup.messaging.attachments import OutboxAttachment
from recoup.transactions.models import code_type

__all__ = ["FlaggedLine", "JournalCashierDay", "JournalCashierMonth", "JournalTerminalDay", "JournalTerminalMonth",
           "OutboxAttachment", "PreventionAcknowledgement", "ReportSchedule", "ReportSent", "RollupWatermark"]


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


class _JournalRollup:
    """The columns every journal rollup shares: whose lines, which merchant-local day (a month's rollup: its
    first day), which currency, and how many lines."""

    tenant_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    local_date: Mapped[date] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(code_type(15), primary_key=True)


class _PerTerminal(_JournalRollup):
    terminal_id: Mapped[str] = mapped_column(code_type(8), primary_key=True, sort_order=1)
    lines: Mapped[int] = mapped_column(default=0, sort_order=2)
    sales: Mapped[int] = mapped_column(default=0, sort_order=2)  # approved sales, their amount, approved refunds
    sales_minor: Mapped[int] = mapped_column(default=0, sort_order=2)
    refunds: Mapped[int] = mapped_column(default=0, sort_order=2)


class _PerCashier(_JournalRollup):
    cashier_id: Mapped[str] = mapped_column(String(32), primary_key=True, sort_order=1)
    lines: Mapped[int] = mapped_column(default=0, sort_order=2)


class JournalTerminalDay(_PerTerminal, Base):
    """Journal lines per tenant, merchant-local day, currency, merchant and terminal (recoup.reports.rollup)."""

    __tablename__ = "report_terminal_days"


class JournalTerminalMonth(_PerTerminal, Base):
    """The same per merchant-local month (`local_date`: its first day): a year reads 12 rows a terminal."""

    __tablename__ = "report_terminal_months"


class JournalCashierDay(_PerCashier, Base):
    """Journal lines naming a cashier, per tenant, merchant-local day, currency, merchant and cashier."""

    __tablename__ = "report_cashier_days"


class JournalCashierMonth(_PerCashier, Base):
    """The same per merchant-local month (`local_date`: its first day)."""

    __tablename__ = "report_cashier_months"


class FlaggedLine(Base):
    """A journal line one of the fraud-like prevention lists rests on (recoup.reports.flagged): `pattern`
    says which ("refund": every approved refund; "other_card": a refund paid to another card than its sale's,
    `other_id` the sale; "void_own": a void of the same cashier's sale, `other_id` the sale; "band": a sale
    just under the no-PIN limit; "burst": a refund with enough others of its terminal around it). Copied
    from the line: the lists read a few rows here instead of the year's journal."""

    __tablename__ = "report_flagged_lines"
    __table_args__ = (
        Index("ix_report_flagged_lines_day", "tenant_id", "pattern", "currency", "local_date"),
        Index("ix_report_flagged_lines_amount", "tenant_id", "pattern", "currency", "amount_minor"),
    )

    pattern: Mapped[str] = mapped_column(String(12), primary_key=True)
    line_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    other_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # 0: none
    tenant_id: Mapped[int]
    local_date: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3))
    merchant_id: Mapped[str] = mapped_column(code_type(15))
    subject: Mapped[str] = mapped_column(String(64))  # the terminal, the cashier, or the card (token or masked)
    detail: Mapped[str] = mapped_column(String(19), default="")  # the masked card ("band")
    rrn: Mapped[str] = mapped_column(code_type(12))
    moment: Mapped[datetime]
    other_moment: Mapped[datetime | None] = mapped_column(default=None)  # the sale's ("void_own")
    amount_minor: Mapped[int]
