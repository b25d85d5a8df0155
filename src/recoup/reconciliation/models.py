"""Stored reconciliation runs and their findings, each finding linked to the case it opened or joined."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from recoup.db import Base, TenantRow, utcnow


class ReconciliationRun(TenantRow, Base):
    __tablename__ = "reconciliation_runs"

    run_by: Mapped[str] = mapped_column(String(80))
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
    finding_count: Mapped[int] = mapped_column(default=0)
    new_findings: Mapped[int] = mapped_column(default=0)
    cases_opened: Mapped[int] = mapped_column(default=0)
    cases_joined: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    # What a run over the stored data read (`recoup reconcile --db`, the API, the import page): its local
    # days (none: every day) and merchants (none: every merchant the runner sees). A run from files reads
    # no stored day (over_stored false). The imports list says from these whether an import was reconciled.
    over_stored: Mapped[bool] = mapped_column(default=False, server_default=false())
    read_from: Mapped[date | None] = mapped_column(default=None)
    read_to: Mapped[date | None] = mapped_column(default=None)
    read_merchants: Mapped[list[str] | None] = mapped_column(JSON, default=None)


class StoredFinding(TenantRow, Base):
    """A finding as the engine reported it; the same finding saved again is the same row."""

    __tablename__ = "findings"
    __table_args__ = (
        UniqueConstraint("tenant_id", "finding_id", name="uq_findings_tenant_finding"),
        Index("ix_findings_tenant_kind", "tenant_id", "kind"),
        # The findings list (reconciliation/inbox.py, bench/findings_list.py): newest first and date ranges
        # walk the time index (paging by OFFSET over it reads the index only); an RRN filter also looks at
        # the related RRN.
        Index("ix_findings_tenant_time", "tenant_id", "txn_time"),
        Index("ix_findings_related_rrn", "related_rrn"),
        # The reports (recoup.reports): findings per terminal and per cashier (and its keying causes) of a
        # period, grouped in index order, the table never read (a year's 600,000 findings: 1.4 s -> 0.15 s).
        Index("ix_findings_report_terminal", "tenant_id", "currency", "merchant_id", "terminal_id", "txn_time",
              "first_seen_at"),
        Index("ix_findings_report_cashier", "tenant_id", "currency", "merchant_id", "cashier_id", "txn_time",
              "first_seen_at", "cause"),
    )
    tenant_indexed = False

    finding_id: Mapped[str] = mapped_column(String(40))
    run_id: Mapped[int] = mapped_column(ForeignKey("reconciliation_runs.id"))
    last_run_id: Mapped[int] = mapped_column(ForeignKey("reconciliation_runs.id"))
    kind: Mapped[str] = mapped_column(String(30))
    cause: Mapped[str | None] = mapped_column(String(30), default=None)
    merchant_id: Mapped[str] = mapped_column(String(15), index=True)
    terminal_id: Mapped[str] = mapped_column(String(8), default="")
    rrn: Mapped[str] = mapped_column(String(12), default="", index=True)
    related_rrn: Mapped[str] = mapped_column(String(12), default="")
    order_no: Mapped[str] = mapped_column(String(64), default="")
    charged_minor: Mapped[int]
    expected_minor: Mapped[int]
    difference_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    confidence: Mapped[float] = mapped_column(Float, default=1.0)  # a likelihood, never money
    reason_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    explanation: Mapped[str] = mapped_column(Text, default="")
    txn_time: Mapped[datetime | None] = mapped_column(default=None)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), default=None, index=True)
    # the cashier on the journal line of its transaction (None: no such line, or it names no cashier, when the
    # finding was saved or last saved again): what the reports count per cashier
    cashier_id: Mapped[str | None] = mapped_column(String(32), default=None)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseFollowUp(TenantRow, Base):
    """What the runs decided about a case whose finding went away: RESOLVED by a later file, or LEFT
    for a person (alerted once). A finding that comes back clears it (and reopens a resolved case)."""

    __tablename__ = "case_follow_ups"
    tenant_indexed = False

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    state: Mapped[str] = mapped_column(String(20))
    run_id: Mapped[int] = mapped_column(ForeignKey("reconciliation_runs.id"))
    line: Mapped[dict[str, object] | None] = mapped_column(JSON, default=None)  # the line that explained it
    at: Mapped[datetime] = mapped_column(default=utcnow)


class RunFollowSummary(TenantRow, Base):
    """How a saved run brought the cases up to date, by outcome and kind ({"resolved": {"DUPLICATE_CHARGE": 1}})."""

    __tablename__ = "run_follow_summaries"
    tenant_indexed = False

    run_id: Mapped[int] = mapped_column(ForeignKey("reconciliation_runs.id"), unique=True)
    counts: Mapped[dict[str, dict[str, int]]] = mapped_column(JSON, default=dict)


class FollowSetting(Base):
    """A tenant's window in which a note or message means a person works the case (default 14 days)."""

    __tablename__ = "follow_settings"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True, autoincrement=False)
    touched_days: Mapped[int] = mapped_column(default=14)
