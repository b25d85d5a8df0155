"""Stored transactions: the merchant's orders, the terminal journal, the acquirer settlement, and imports.

Amounts are integer minor units. A card is kept only as its masked form and its keyed token.

The three fact tables (orders, journal, settlement) take millions of rows per import, and each index
and each check costs every row (bench/import.py). So:
- no foreign keys on their `tenant_id` and `import_id`: the importer is their only writer and writes its
  own tenant and the batch it has just created in the same transaction; tenants and import batches are
  never deleted. On PostgreSQL a key is a trigger per row, about a third of the import's time.
- codes (merchant, terminal, RRN, STAN, type, order number) are `code_type` columns: on PostgreSQL they
  compare byte for byte (collation "C", as SQLite does) instead of by the server's locale, which makes
  every index on them cheaper to build and search. Comparing one with a column of another collation
  (none does today) needs an explicit COLLATE to use that column's index.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from recoup.db import Base, utcnow


def code_type(length: int) -> TypeEngine[str]:
    """A code of up to `length` characters, compared byte for byte on PostgreSQL too (see above)."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class ImportBatch(Base):
    """One imported file: idempotent by the SHA-256 of its content (per tenant and kind)."""

    __tablename__ = "import_batches"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "content_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(255))
    content_sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    warnings: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    imported_by: Mapped[str] = mapped_column(String(80))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "merchant_id", "order_no"),
        Index("ix_orders_merchant_created", "merchant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int]  # no foreign keys on fact tables: see the module's note
    import_id: Mapped[int | None] = mapped_column(default=None)
    order_no: Mapped[str] = mapped_column(code_type(64), index=True)
    merchant_id: Mapped[str] = mapped_column(code_type(15))
    terminal_id: Mapped[str | None] = mapped_column(code_type(8), default=None)
    created_at: Mapped[datetime]
    local_date: Mapped[date]
    expected_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    cashier_id: Mapped[str] = mapped_column(String(32), default="")
    contact_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    extra: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)


class JournalLine(Base):
    """What the terminal recorded."""

    __tablename__ = "journal_lines"
    # Few indexes on purpose: each costs every bulk import (bench/import.py). The identity leads with the
    # RRN, so it also answers a search by RRN within a tenant; time windows use (merchant|terminal, time);
    # a payer's card ending with an amount or a day uses (tenant, card ending, time): without it such a
    # search read every line of the tenant (232 ms at a million lines, 3.5 ms with it).
    # Rows are written in the file's order: the time indexes then grow at a few places each, while the
    # RRN and order number ones take rows at random. Writing in identity order would make the identity
    # grow by appends but scatter both time indexes, which costs more on both engines (measured: about
    # 1.3x the server time of PostgreSQL's COPY, 2x SQLite's inserts). The partial index holds only the
    # lines that name an original, per tenant.
    __table_args__ = (
        UniqueConstraint("tenant_id", "rrn", "terminal_id", "txn_type", "stan", name="uq_journal_identity"),
        Index("ix_journal_merchant_time", "merchant_id", "txn_time"),
        Index("ix_journal_terminal_time", "terminal_id", "txn_time"),
        Index("ix_journal_order_no", "order_no"),
        Index("ix_journal_orig_rrn", "tenant_id", "orig_rrn", sqlite_where=text("orig_rrn <> ''"),
              postgresql_where=text("orig_rrn <> ''")),
        Index("ix_journal_card_last4", "tenant_id", "card_last4", "txn_time"),  # a payer's card ending (0017)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int]  # no foreign keys on fact tables: see the module's note
    import_id: Mapped[int | None] = mapped_column(default=None)
    merchant_id: Mapped[str] = mapped_column(code_type(15))
    terminal_id: Mapped[str] = mapped_column(code_type(8))
    txn_time: Mapped[datetime]
    local_date: Mapped[date]
    txn_type: Mapped[str] = mapped_column(code_type(20))
    status: Mapped[str] = mapped_column(String(10))
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    rrn: Mapped[str] = mapped_column(code_type(12), default="")
    stan: Mapped[str] = mapped_column(code_type(6), default="")
    auth_code: Mapped[str] = mapped_column(String(12), default="")
    card_masked: Mapped[str] = mapped_column(String(19), default="")
    card_last4: Mapped[str] = mapped_column(String(4), default="")
    card_token: Mapped[str | None] = mapped_column(String(64), default=None)
    order_no: Mapped[str] = mapped_column(code_type(64), default="")
    cashier_id: Mapped[str] = mapped_column(String(32), default="")
    orig_rrn: Mapped[str] = mapped_column(code_type(12), default="")
    batch_no: Mapped[str] = mapped_column(String(12), default="")
    flagged_stopped: Mapped[bool] = mapped_column(Boolean, default=False)
    extra: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)


class SettlementLine(Base):
    """What the acquirer cleared and paid."""

    __tablename__ = "settlement_lines"
    __table_args__ = (
        UniqueConstraint("tenant_id", "rrn", "terminal_id", "txn_type", "settle_date", name="uq_settlement_identity"),
        Index("ix_settlement_merchant_time", "merchant_id", "txn_time"),
        Index("ix_settlement_card_last4", "tenant_id", "card_last4", "txn_time"),  # a payer's card ending (0017)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int]  # no foreign keys on fact tables: see the module's note
    import_id: Mapped[int | None] = mapped_column(default=None)
    settle_date: Mapped[date]
    merchant_id: Mapped[str] = mapped_column(code_type(15))
    merchant_name: Mapped[str] = mapped_column(String(200), default="")
    mcc: Mapped[str] = mapped_column(String(4), default="")
    terminal_id: Mapped[str] = mapped_column(code_type(8))
    txn_time: Mapped[datetime]
    local_date: Mapped[date]
    txn_type: Mapped[str] = mapped_column(code_type(20))
    rrn: Mapped[str] = mapped_column(code_type(12))
    stan: Mapped[str] = mapped_column(code_type(6), default="")
    card_masked: Mapped[str] = mapped_column(String(19), default="")
    card_last4: Mapped[str] = mapped_column(String(4), default="")
    card_token: Mapped[str | None] = mapped_column(String(64), default=None)
    amount_minor: Mapped[int]
    fee_minor: Mapped[int] = mapped_column(default=0)
    net_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    order_no: Mapped[str] = mapped_column(code_type(64), default="", index=True)
    extra: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
