"""Case pages: the list with filters, the case page (timeline, actions, balance panel) and its forms."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.cases.models import Case
from recoup.cases.opening import OpenRequest, open_case
from recoup.cases.recording import audited
from recoup.cases.repository import get_case, list_cases
from recoup.cases.schemas import case_detail
from recoup.cases.service import add_note, assign_case, escalate_case, move_case, reopen_case
from recoup.cases.states import FINAL_STATES, CaseState, allowed_targets
from recoup.db import utcnow
from recoup.recovery.models import PaymentRequest, RecoveryKind
from recoup.web.csrf import check_csrf
from recoup.web.deps import SessionDep, WebUser, database, settings, web_principal
from recoup.web.params import AmountText, CaseReference, KindName, MerchantId, Rrn, State, TerminalId
from recoup.web.templating import render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=4000)]


def web_user_once(request: Request) -> Principal:
    """The logged-in user, looked up in a short transaction of its own (see cases.api.api_user_once)."""
    with database(request).unit_of_work() as session:
        return web_principal(request, session, settings(request), utcnow())


WebActor = Annotated[Principal, Depends(web_user_once)]


def _change(request: Request, principal: Principal, action: str, case_id: str, attempted: dict[str, object],
            work: Callable[[Session], Case]) -> Response:
    with audited(database(request), principal, action, case_id, attempted) as session:
        number = work(session).number
    return RedirectResponse(f"/cases/{number}", status_code=303)


@router.get("/cases", response_class=HTMLResponse)
def cases_page(request: Request, principal: WebUser, session: SessionDep, state: State = "",
               merchant_id: MerchantId = "", kind: KindName = "", overdue: Annotated[str, Query(max_length=8)] = "",
               ) -> HTMLResponse:
    found = list_cases(session, principal, state=state or None, merchant_id=merchant_id or None, kind=kind or None,
                       overdue_at=utcnow() if overdue else None, limit=500)
    filters = {"state": state, "merchant_id": merchant_id, "kind": kind, "overdue": bool(overdue)}
    return render(request, "cases/list.html", user=principal, cases=found, filters=filters,
                  states=[s.value for s in CaseState])


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(case_id: CaseReference, request: Request, principal: WebUser, session: SessionDep) -> HTMLResponse:
    case = get_case(session, principal, case_id)
    state = CaseState(case.state)
    payments = dict(session.execute(select(PaymentRequest.action_id, PaymentRequest.token)
                                    .where(PaymentRequest.case_id == case.id)).tuples().all())
    return render(
        request, "cases/detail.html", user=principal, case=case, detail=case_detail(session, case),
        targets=sorted(t.value for t in allowed_targets(state)), finished=state in FINAL_STATES,
        actionable=state not in FINAL_STATES and state != CaseState.RESOLVED, kinds=[k.value for k in RecoveryKind],
        idempotency_key=secrets.token_urlsafe(16), payments=payments, overdue=case.deadline_at < utcnow(),
        sections=_sections(session, principal, case),
    )


def _sections(session: Session, principal: Principal, case: Case) -> dict[str, dict[str, object]]:
    """What the other domains show on the case page, each in its own partial template."""
    from recoup.complaints.web import case_section as complaint_section
    from recoup.evidence.web import case_documents
    from recoup.evidence.web import case_section as evidence_section
    from recoup.messaging.web import case_section as message_section

    return {"documents": case_documents(session, principal, case),
            "evidence": evidence_section(session, principal, case),
            "messages": message_section(session, principal, case),
            "complaint": complaint_section(session, principal, case)}


@router.post("/cases", dependencies=[Depends(check_csrf)])
def open_page(request: Request, principal: WebActor, rrn: Annotated[Rrn, Form()] = "",
              terminal_id: Annotated[TerminalId, Form()] = "", merchant_id: Annotated[MerchantId, Form()] = "",
              amount: Annotated[AmountText, Form()] = "", summary: Text = "") -> Response:
    opening = OpenRequest(rrn=rrn, terminal_id=terminal_id, merchant_id=merchant_id, amount=amount, summary=summary)
    return _change(request, principal, "case.open", rrn or merchant_id or "-", {"rrn": rrn, "amount": amount},
                   lambda session: open_case(session, principal, opening))


@router.post("/cases/{case_id}/move", dependencies=[Depends(check_csrf)])
def move_page(case_id: CaseReference, request: Request, principal: WebActor, state: Annotated[State, Form()] = "",
              reason: Text = "") -> Response:
    return _change(request, principal, "case.move", case_id, {"state": state, "reason": reason},
                   lambda session: move_case(session, principal, case_id, state, reason))


@router.post("/cases/{case_id}/reopen", dependencies=[Depends(check_csrf)])
def reopen_page(case_id: CaseReference, request: Request, principal: WebActor, reason: Text = "") -> Response:
    return _change(request, principal, "case.reopen", case_id, {"reason": reason},
                   lambda session: reopen_case(session, principal, case_id, reason))


@router.post("/cases/{case_id}/escalate", dependencies=[Depends(check_csrf)])
def escalate_page(case_id: CaseReference, request: Request, principal: WebActor, reason: Text = "") -> Response:
    return _change(request, principal, "case.escalate", case_id, {"reason": reason},
                   lambda session: escalate_case(session, principal, case_id, reason))


@router.post("/cases/{case_id}/assign", dependencies=[Depends(check_csrf)])
def assign_page(case_id: CaseReference, request: Request, principal: WebActor,
                username: Annotated[str, Form(max_length=80)] = "") -> Response:
    return _change(request, principal, "case.assign", case_id, {"owner": username},
                   lambda session: assign_case(session, principal, case_id, username))


@router.post("/cases/{case_id}/notes", dependencies=[Depends(check_csrf)])
def note_page(case_id: CaseReference, request: Request, principal: WebActor, text: Text = "") -> Response:
    return _change(request, principal, "case.note", case_id, {"text": text[:200]},
                   lambda session: add_note(session, principal, case_id, text))
