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
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, select
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


def _note(case: Case, event: CaseEvent | Row[Any]) -> DerivedRecord:
    body = {"case": case.number, "record": "note", "id": event.id, **event_row(event)}
    return DerivedRecord(f"note-{event.id}", f"note-{event.id:06d}.json", "note", event.at, event.actor,
                         canonical_json(body))


def _action(case: Case, action: RecoveryAction | Row[Any]) -> DerivedRecord:
    body = {"case": case.number, "record": "recovery_action", **action_row(action)}
    return DerivedRecord(f"action-{action.id}", f"action-{action.id:06d}.json", "recovery_action",
                         action.requested_at, action.requested_by, canonical_json(body))


_EVENTS: Any = CaseEvent.__table__
_ACTIONS: Any = RecoveryAction.__table__
# Built once (no statement building per request); plain rows, as the case's JSON view reads them.
_TIMELINE = select(_EVENTS).where(_EVENTS.c.case_id == bindparam("case_id")).order_by(_EVENTS.c.id)
_ACTIONS_OF = select(_ACTIONS).where(_ACTIONS.c.case_id == bindparam("case_id")).order_by(_ACTIONS.c.id)


def is_note(event: CaseEvent | Row[Any]) -> bool:
    """A timeline event that is a record of its own: one with a note (evidence files' own events left out)."""
    return event.note != "" and event.event != "evidence_added"


def records_of(session: Session, case: Case) -> list[DerivedRecord]:
    """Every note (a timeline event with a note; evidence files' own events left out) and every action."""
    values = {"case_id": case.id}
    return records_from(case, session.execute(_TIMELINE, values), session.execute(_ACTIONS_OF, values))


def records_from(case: Case, timeline: Iterable[CaseEvent | Row[Any]],
                 actions: Iterable[RecoveryAction | Row[Any]]) -> list[DerivedRecord]:
    """records_of from rows already read: the case's timeline (oldest first; its notes are kept) and its actions
    (the case page reads both once for its timeline, its actions and its evidence section)."""
    found = [_note(case, event) for event in timeline if is_note(event)] + [_action(case, a) for a in actions]
    return sorted(found, key=lambda record: (record.added_at, record.id))
