"""The changes a user makes to an existing case, as the API and the CLI both offer them.

Each change names its API path, its audit action and the service call that does it. The call takes
the body's fields in their order (`perform(session, principal, case_ref, *fields)`), which is also the
order of the CLI command's own arguments and options.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pydantic import BaseModel

from recoup.cases.models import Case
from recoup.cases.schemas import AssignIn, CloseIn, MoveIn, NoteIn, ReasonIn
from recoup.cases.service import add_note, assign_case, close_case, escalate_case, move_case, reopen_case

NOTE_KEPT_ON_REFUSAL = 200


@dataclass(frozen=True)
class CaseChange:
    verb: str  # the CLI command; the audit action is case.<verb>
    path: str  # the API route is POST /cases/{case_id}/<path>
    body: type[BaseModel]
    perform: Callable[..., Case]

    @property
    def action(self) -> str:
        return f"case.{self.verb}"


CHANGES = {change.verb: change for change in (
    CaseChange("move", "move", MoveIn, move_case),
    CaseChange("assign", "assign", AssignIn, assign_case),
    CaseChange("escalate", "escalate", ReasonIn, escalate_case),
    CaseChange("note", "notes", NoteIn, add_note),
    CaseChange("close", "close", CloseIn, close_case),
    CaseChange("reopen", "reopen", ReasonIn, reopen_case),
)}


def attempted(fields: Mapping[str, object]) -> dict[str, object]:
    """What the audit keeps of a refused change: its fields, a note's text cut to its first 200 characters."""
    return {name: value[:NOTE_KEPT_ON_REFUSAL] if name == "text" and isinstance(value, str) else value
            for name, value in fields.items()}
