"""The merchant registry: merchants and their terminals."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from recoup.db import Base, utcnow


class Merchant(Base):
    __tablename__ = "merchants"

    merchant_id: Mapped[str] = mapped_column(String(15), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    mcc: Mapped[str] = mapped_column(String(4))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    city: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Terminal(Base):
    __tablename__ = "terminals"

    terminal_id: Mapped[str] = mapped_column(String(8), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.merchant_id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    model: Mapped[str] = mapped_column(String(80), default="")
    serial: Mapped[str] = mapped_column(String(80), default="")
    firmware: Mapped[str] = mapped_column(String(80), default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    installed_at: Mapped[date | None] = mapped_column(default=None)
    last_maintenance_at: Mapped[date | None] = mapped_column(default=None)
    stopped: Mapped[bool] = mapped_column(Boolean, default=False)
    stopped_at: Mapped[datetime | None] = mapped_column(default=None)
    stopped_by: Mapped[str] = mapped_column(String(80), default="")
    stop_reason: Mapped[str] = mapped_column(Text, default="")
