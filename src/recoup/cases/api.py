"""REST routes for cases: list, open, show, move, assign, escalate, note, close, reopen; the ladder."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.cases.changes import CHANGES, CaseChange, attempted
from recoup.cases.ladder_settings import ladder_view, set_ladder
from recoup.cases.models import Case
from recoup.cases.opening import OpenRequest, open_case
from recoup.cases.recording import audited
from recoup.cases.repository import case_to_read, ladder_config, list_cases
from recoup.cases.schemas import OpenCaseIn, case_detail, case_row
from recoup.db import utcnow
from recoup.web.deps import ApiUser, SessionDep, api_principal, database
from recoup.web.params import CaseLimit, CaseReference, KindName, MerchantId, State

router = APIRouter(tags=["cases"])


def api_user_once(request: Request) -> Principal:
    """The API caller, looked up in a short transaction of its own, so that a change can run
    (and have its refusal audited) in transactions the route controls."""
    with database(request).unit_of_work(reads_first=True) as session:
        return api_principal(request, session, utcnow())


ApiActor = Annotated[Principal, Depends(api_user_once)]


def _change(request: Request, principal: Principal, action: str, case_id: str, attempt: dict[str, object],
            work: Callable[[Session], Case]) -> dict[str, object]:
    with audited(database(request), principal, action, case_id, attempt) as session:
        return case_row(work(session))


@router.get("/cases")
def cases(principal: ApiUser, session: SessionDep, state: State | None = None, merchant_id: MerchantId | None = None,
          kind: KindName | None = None, overdue: bool = False, limit: CaseLimit = 1000) -> list[dict[str, object]]:
    """The caller's cases, oldest first (at most `limit`, 1 to 10000)."""
    found = list_cases(session, principal, state=state, merchant_id=merchant_id, kind=kind,
                       overdue_at=utcnow() if overdue else None, limit=max(1, min(limit, 10000)))
    return [case_row(case) for case in found]


@router.post("/cases", status_code=201)
def open_(body: OpenCaseIn, request: Request, principal: ApiActor) -> dict[str, object]:
    opening = OpenRequest(**body.model_dump())
    return _change(request, principal, "case.open", body.rrn or body.merchant_id or "-", body.model_dump(),
                   lambda session: open_case(session, principal, opening))


@router.get("/cases/{case_id}", response_model=dict[str, Any])
def case(case_id: CaseReference, principal: ApiUser, session: SessionDep) -> Response:
    # case_detail holds JSON's own types only (strings, numbers, lists, dicts): sent as it is, without FastAPI's
    # walk through every value of the timeline, actions and lines (jsonable_encoder).
    return JSONResponse(case_detail(session, case_to_read(session, principal, case_id)))


def _serve(change: CaseChange) -> None:
    # No docstring: the route's OpenAPI entry stays as it was when each change had its own function.
    def serve(case_id: CaseReference, body: BaseModel, request: Request, principal: ApiActor) -> Response:
        fields = body.model_dump()
        # case_row holds texts and None only: sent as it is, without validating it again in a worker thread
        # (the response model below still documents it, as the return annotation did).
        return JSONResponse(_change(request, principal, change.action, case_id, attempted(fields),
                                    lambda session: change.perform(session, principal, case_id, *fields.values())))

    serve.__annotations__["body"] = change.body  # FastAPI validates, and documents, the body from this
    router.add_api_route(f"/cases/{{case_id}}/{change.path}", serve, methods=["POST"], name=change.verb,
                         response_model=dict[str, object])


for _change_offered in CHANGES.values():
    _serve(_change_offered)


@router.get("/ladder")
def ladder(principal: ApiUser, session: SessionDep) -> dict[str, object]:
    return ladder_view(ladder_config(session, principal.tenant_id))


@router.put("/ladder")
def change_ladder(body: dict[str, object], request: Request, principal: ApiActor) -> dict[str, object]:
    with audited(database(request), principal, "ladder.set", str(principal.tenant_id), body) as session:
        return set_ladder(session, principal, body)
