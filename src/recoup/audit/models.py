"""The append-only audit trail, each entry chained by SHA-256 to the one before."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from recoup.db import Base


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    tenant_id: Mapped[int | None] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str] = mapped_column(String(120))
    before: Mapped[dict[str, object] | None] = mapped_column(JSON, default=None)
    after: Mapped[dict[str, object] | None] = mapped_column(JSON, default=None)
    origin: Mapped[str] = mapped_column(String(40))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    # Added in 0002: the id of the audit key whose HMAC makes `hash` ("" = plain SHA-256, entries before 0002).
    key_id: Mapped[str] = mapped_column(String(40), default="", server_default="")


class AuditHead(Base):
    """One row: the last sequence number and hash; locked while appending so the chain never forks."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default="0" * 64)
