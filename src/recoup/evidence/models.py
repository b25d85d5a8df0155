"""Tables of the evidence domain (SPEC section 7): one row per file kept for a case (or a complaint).

The file itself is on disk, encrypted (recoup.evidence.store), at an address derived from the tenant
and `sha256` (the plaintext's). Rows are never updated but for `case_id` (a complaint's photo joins
the case the complaint is linked to) and never deleted: there is no route, command or function that does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from recoup.db import Base, TenantRow


class EvidenceItem(TenantRow, Base):
    __tablename__ = "evidence_items"
    __table_args__ = (Index("ix_evidence_items_tenant_sha256", "tenant_id", "sha256"),)

    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True, default=None)
    complaint_id: Mapped[int | None] = mapped_column(index=True, default=None)  # no FK: complaints come in 0005
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))  # the original file name, sanitised
    content_type: Mapped[str] = mapped_column(String(80))  # told by content, never by name
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))  # of the plaintext
    key_id: Mapped[str] = mapped_column(String(40))  # the data key the stored file is encrypted under
    note: Mapped[str] = mapped_column(Text, default="")
    added_by: Mapped[str] = mapped_column(String(80))
    added_at: Mapped[datetime]
