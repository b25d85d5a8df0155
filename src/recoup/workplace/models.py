"""Tables of the workplace: when each user last looked at their dashboard ("new since my last visit")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from recoup.db import Base


class DashboardVisit(Base):
    """One row per user: the start of their current visit and of the visit before it.

    "New since my last visit" counts what arrived after `previous_seen_at` (recoup.workplace.visits).
    A read marker like alert_reads, not a change of business data: it is not audited."""

    __tablename__ = "dashboard_visits"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
                                         autoincrement=False)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    last_seen_at: Mapped[datetime]
    previous_seen_at: Mapped[datetime | None] = mapped_column(default=None)
