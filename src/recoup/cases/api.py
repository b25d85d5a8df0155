"""REST routes for cases: list, open, show, move, assign, escalate, note, close, reopen; the ladder."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.cases.ladder_settings import ladder_view, set_ladder
from recoup.cases.models import Case
from recoup.cases.opening import OpenRequest, open_case
from recoup.cases.repository import get_case, ladder_config, list_cases
from recoup.cases.schemas import (
    AssignIn,
    CloseIn,
    MoveIn,
    NoteIn,
    OpenCaseIn,
    ReasonIn,
    case_detail,
    case_row,
)
from recoup.cases.service import (
    add_note,
    assign_case,
    audited,
    close_case,
    escalate_case,
    move_case,
    reopen_case,
)
from recoup.db import utcnow
from recoup.web.deps import ApiUser, SessionDep, api_principal, database

router = APIRouter(tags=["cases"])


def api_user_once(request: Request) -> Principal:
    """The API caller, looked up in a short transaction of its own, so that a change can run
    (and have its refusal audited) in transactions the route controls."""
    with database(request).unit_of_work() as session:
        return api_principal(request, session)


ApiActor = Annotated[Principal, Depends(api_user_once)]


def _change(request: Request, principal: Principal, action: str, case_id: str, attempted: dict[str, object],
            work: Callable[[Session], Case]) -> dict[str, object]:
    with audited(database(request), principal, action, case_id, attempted) as session:
        return case_row(work(session))


@router.get("/cases")
def cases(principal: ApiUser, session: SessionDep, state: str | None = None, merchant_id: str | None = None,
          kind: str | None = None, overdue: bool = False, limit: int = 1000) -> list[dict[str, object]]:
    """The caller's cases, oldest first (at most `limit`, 1 to 10000)."""
    found = list_cases(session, principal, state=state, merchant_id=merchant_id, kind=kind,
                       overdue_at=utcnow() if overdue else None, limit=max(1, min(limit, 10000)))
    return [case_row(case) for case in found]


@router.post("/cases", status_code=201)
def open_(body: OpenCaseIn, request: Request, principal: ApiActor) -> dict[str, object]:
    opening = OpenRequest(**body.model_dump())
    return _change(request, principal, "case.open", body.rrn or body.merchant_id or "-", body.model_dump(),
                   lambda session: open_case(session, principal, opening))


@router.get("/cases/{case_id}")
def case(case_id: str, principal: ApiUser, session: SessionDep) -> dict[str, object]:
    return case_detail(session, get_case(session, principal, case_id))


@router.post("/cases/{case_id}/move")
def move(case_id: str, body: MoveIn, request: Request, principal: ApiActor) -> dict[str, object]:
    return _change(request, principal, "case.move", case_id, body.model_dump(),
                   lambda session: move_case(session, principal, case_id, body.state, body.reason))


@router.post("/cases/{case_id}/assign")
def assign(case_id: str, body: AssignIn, request: Request, principal: ApiActor) -> dict[str, object]:
    return _change(request, principal, "case.assign", case_id, body.model_dump(),
                   lambda session: assign_case(session, principal, case_id, body.username))


@router.post("/cases/{case_id}/escalate")
def escalate(case_id: str, body: ReasonIn, request: Request, principal: ApiActor) -> dict[str, object]:
    return _change(request, principal, "case.escalate", case_id, body.model_dump(),
                   lambda session: escalate_case(session, principal, case_id, body.reason))


@router.post("/cases/{case_id}/notes")
def note(case_id: str, body: NoteIn, request: Request, principal: ApiActor) -> dict[str, object]:
    return _change(request, principal, "case.note", case_id, {"text": body.text[:200]},
                   lambda session: add_note(session, principal, case_id, body.text))


@router.post("/cases/{case_id}/close")
def close(case_id: str, body: CloseIn, request: Request, principal: ApiActor) -> dict[str, object]:
    return _change(request, principal, "case.close", case_id, body.model_dump(),
                   lambda session: close_case(session, principal, case_id, body.reason, body.outcome))


@router.post("/cases/{case_id}/reopen")
def reopen(case_id: str, body: ReasonIn, request: Request, principal: ApiActor) -> dict[str, object]:
    return _change(request, principal, "case.reopen", case_id, body.model_dump(),
                   lambda session: reopen_case(session, principal, case_id, body.reason))


@router.get("/ladder")
def ladder(principal: ApiUser, session: SessionDep) -> dict[str, object]:
    return ladder_view(ladder_config(session, principal.tenant_id))


@router.put("/ladder")
def change_ladder(body: dict[str, object], request: Request, principal: ApiActor) -> dict[str, object]:
    with audited(database(request), principal, "ladder.set", str(principal.tenant_id), body) as session:
        return set_ladder(session, principal, body)
