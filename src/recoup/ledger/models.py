"""The stored ledger: postings, their lines, and each account's running balance.

A posting's `reference` makes it idempotent (the same business event is posted once); its optional
`txn_key` names the real transaction whose money it books, so a settlement line and a recovery
confirmation that see the same refund book it once.

Postings and their lines carry no foreign keys (migration 0016): the ledger code is their only writer,
writes a posting and its lines in one transaction, and deletes neither them nor tenants. Every settlement
line books a posting and two or three lines, and on PostgreSQL each key is a trigger per row: the keys
took half of the server's time to book a settlement file (bench/import.py --kind settlement). `recoup ledger
verify` proves instead, set-based, that every line belongs to a posting of its own tenant.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recoup.db import Base, TenantRow, utcnow


class LedgerPosting(TenantRow, Base):
    __tablename__ = "ledger_postings"
    __table_args__ = (
        UniqueConstraint("tenant_id", "reference", name="uq_ledger_postings_reference"),
        Index("ix_ledger_postings_txn", "tenant_id", "txn_key"),
    )
    tenant_indexed = False

    tenant_id: Mapped[int] = mapped_column(sort_order=-1)  # no foreign key: see the module's note
    merchant_id: Mapped[str] = mapped_column(String(15), index=True)
    reference: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))
    txn_key: Mapped[str | None] = mapped_column(String(80), default=None)
    case_id: Mapped[int | None] = mapped_column(default=None, index=True)
    action_id: Mapped[int | None] = mapped_column(default=None)
    memo: Mapped[str] = mapped_column(Text, default="")
    posted_by: Mapped[str] = mapped_column(String(80), default="system")
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerEntry(TenantRow, Base):
    """One line of a posting: + debit, - credit, in minor units."""

    __tablename__ = "ledger_entries"
    tenant_indexed = False

    # sort_order keeps the table's column order: id, posting_id, tenant_id.
    posting_id: Mapped[int] = mapped_column(index=True, sort_order=-1)  # no foreign keys: see the module's note
    tenant_id: Mapped[int] = mapped_column(sort_order=-1)
    merchant_id: Mapped[str] = mapped_column(String(15))
    account: Mapped[str] = mapped_column(String(30))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int]


class LedgerBalance(Base):
    """An account of a merchant in one currency, with its balance kept alongside its lines."""

    __tablename__ = "ledger_balances"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True, autoincrement=False)
    merchant_id: Mapped[str] = mapped_column(String(15), primary_key=True)
    account: Mapped[str] = mapped_column(String(30), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    balance_minor: Mapped[int] = mapped_column(default=0)
