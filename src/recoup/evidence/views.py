"""A case's evidence as rows: the stored files and the records derived from its notes and actions.

One shape for `recoup evidence list --format json`, the API's list and the case page: `id` (an integer
for a stored file, "note-12" / "action-3" for a derived record), `kind`, `name`, `size`, `sha256`,
`added_at` (ISO 8601, UTC), `added_by`, plus `content_type`, `note` and `source` ("file", "note",
"recovery_action").
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from recoup.cases.models import Case
from recoup.evidence.models import EvidenceItem
from recoup.evidence.records import DerivedRecord, records_of
from recoup.evidence.service import items_of


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def file_row(item: EvidenceItem) -> dict[str, object]:
    return {"id": item.id, "kind": item.kind, "name": item.name, "size": item.size, "sha256": item.sha256,
            "added_at": _iso(item.added_at), "added_by": item.added_by, "content_type": item.content_type,
            "note": item.note, "source": "file"}


def record_row(derived: DerivedRecord) -> dict[str, object]:
    return {"id": derived.id, "kind": derived.kind, "name": derived.name, "size": derived.size,
            "sha256": derived.sha256, "added_at": _iso(derived.added_at), "added_by": derived.added_by,
            "content_type": "application/json", "note": "", "source": derived.source}


def evidence_rows(session: Session, case: Case, records: list[DerivedRecord] | None = None) -> list[dict[str, object]]:
    """Files first (in the order they were added), then the derived records (oldest first; `records` when the
    caller already derived them from the rows it read, see records.records_from)."""
    derived = records if records is not None else records_of(session, case)
    return [file_row(item) for item in items_of(session, case.id)] + [record_row(record) for record in derived]


def zone_of(name: str, fallback: str) -> ZoneInfo:
    for candidate in (name, fallback, "UTC"):
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    raise AssertionError("UTC is always known")  # pragma: no cover


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")
