"""Records that are evidence by themselves (SPEC section 7): each note on a case and each recovery action.

They are not files: each is derived, when asked, from its row as canonical JSON (sorted keys, UTF-8,
no spaces), and named by that JSON's SHA-256, so a bundle's `records/` folder can be checked against its
manifest like any file. Messages sent and replies received are stored as files by the messaging domain
(kinds "message" and "reply"), so they are not derived here. A recovery action's record shows the action
as it stands when it is listed (its state moves on until the money is seen).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.cases.models import Case, CaseEvent
from recoup.cases.schemas import action_row, event_row
from recoup.evidence.rules import RECORD_KIND
from recoup.recovery.models import RecoveryAction


@dataclass(frozen=True)
class DerivedRecord:
    id: str  # "note-12", "action-3"
    name: str  # its file name in a bundle's records/ folder
    source: str  # "note" or "recovery_action"
    added_at: datetime
    added_by: str
    content: bytes

    kind = RECORD_KIND

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def canonical_json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def _note(case: Case, event: CaseEvent) -> DerivedRecord:
    body = {"case": case.number, "record": "note", "id": event.id, **event_row(event)}
    return DerivedRecord(f"note-{event.id}", f"note-{event.id:06d}.json", "note", event.at, event.actor,
                         canonical_json(body))


def _action(case: Case, action: RecoveryAction) -> DerivedRecord:
    body = {"case": case.number, "record": "recovery_action", **action_row(action)}
    return DerivedRecord(f"action-{action.id}", f"action-{action.id:06d}.json", "recovery_action",
                         action.requested_at, action.requested_by, canonical_json(body))


def records_of(session: Session, case: Case) -> list[DerivedRecord]:
    """Every note (a timeline event with a note; evidence files' own events left out) and every action."""
    events = session.execute(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.note != "",
                                                     CaseEvent.event != "evidence_added")
                             .order_by(CaseEvent.id)).scalars()
    actions = session.execute(select(RecoveryAction).where(RecoveryAction.case_id == case.id)
                              .order_by(RecoveryAction.id)).scalars()
    found = [_note(case, event) for event in events] + [_action(case, action) for action in actions]
    return sorted(found, key=lambda record: (record.added_at, record.id))
