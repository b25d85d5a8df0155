"""Tables of the ingest domain: the import profiles a tenant saved (the shipped ones live in profiles/*.toml)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recoup.db import Base, TenantRow, utcnow


class StatementProfile(TenantRow, Base):
    """One tenant's profile: its TOML text, as written (parsed again whenever it is used)."""

    __tablename__ = "statement_profiles"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)
    tenant_indexed = False

    name: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
