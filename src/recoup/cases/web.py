"""Case pages: the list with filters, the case page (timeline, actions, balance panel) and its forms."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.auth.roles import Permission, may
from recoup.cases.models import Case
from recoup.cases.opening import OpenRequest, open_case
from recoup.cases.page_view import CasePage
from recoup.cases.recording import audited
from recoup.cases.repository import build_case_reads, get_case_and_merchant
from recoup.cases.schemas import ACTION_TABLE, case_detail, read_case
from recoup.cases.service import add_note, assign_case_telling, escalate_case, move_case, reopen_case
from recoup.cases.states import FINAL_STATES, CaseState, allowed_targets
from recoup.cases.web_flash import done_message
from recoup.cases.web_list import SORTS, CaseFilters, state_counts
from recoup.cases.web_list import case_page as page_of_cases
from recoup.db import FixedRead, utcnow
from recoup.errors import Conflict, NotFound, RecoupError
from recoup.reconciliation.findings import Kind
from recoup.recovery.models import PaymentRequest, RecoveryKind
from recoup.transactions.web_detail import transaction_again
from recoup.web.csrf import check_csrf
from recoup.web.deps import SessionDep, WebUser, database, settings, web_principal
from recoup.web.errors import page_message
from recoup.web.formatting import amount_field, plain_amount
from recoup.web.params import CaseReference, KindName, MerchantId, Rrn, State, TerminalId
from recoup.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=4000)]
CASE_KINDS = ["REPORTED", *(k.value for k in Kind)]


def web_user_once(request: Request) -> Principal:
    """The logged-in user, looked up in a short transaction of its own (see cases.api.api_user_once)."""
    with database(request).unit_of_work(reads_first=True) as session:
        return web_principal(request, session, settings(request), utcnow())


WebActor = Annotated[Principal, Depends(web_user_once)]


def _change(request: Request, principal: Principal, action: str, case_id: str, attempted: dict[str, object],
            work: Callable[[Session], Case], *, form: str = "", done: str | Callable[[], str] = "") -> Response:
    """Do one change of a case form; a refusal re-draws the case page with the error next to the form and
    what was typed still in it (the menu stays), a success goes back to the case page with a message (`done`,
    or what it answers once the change is made)."""
    try:
        with audited(database(request), principal, action, case_id, attempted) as session:
            number = work(session).number
    except RecoupError as error:
        if not form or isinstance(error, NotFound):
            raise
        return refused_form(request, principal, case_id, form, error, attempted)
    said = done() if callable(done) else done
    return RedirectResponse(f"/cases/{number}" + (f"?done={said}" if said else ""), status_code=303)


def refused_form(request: Request, principal: Principal, case_id: str, form: str, error: RecoupError,
                 typed: dict[str, object]) -> Response:
    """The case page again, with the refused form's error beside it and its fields as typed."""
    message = page_message(request_locale(request), error.message)
    with database(request).unit_of_work() as session:
        return _draw_case(request, principal, session, case_id, status_code=error.status,
                          form_error={"form": form, "message": message, "typed": typed})


@router.get("/cases", response_class=HTMLResponse)
def cases_page(request: Request, principal: WebUser, session: SessionDep, state: State = "",
               kind: KindName = "", rrn: Annotated[str, Query(max_length=12)] = "",
               merchant: Annotated[str, Query(max_length=200)] = "", merchant_id: MerchantId = "",
               opened_from: Annotated[date | None, Query()] = None, opened_to: Annotated[date | None, Query()] = None,
               overdue: Annotated[str, Query(max_length=8)] = "",
               sort: Annotated[str, Query(max_length=20)] = "-opened",
               page: Annotated[int, Query(ge=1, le=100000)] = 1) -> HTMLResponse:
    filters = CaseFilters(state=state, kind=kind, rrn=rrn.strip(), merchant=(merchant or merchant_id).strip(),
                          opened_from=_sane(opened_from), opened_to=_sane(opened_to), overdue=bool(overdue),
                          sort=sort if sort.lstrip("-") in SORTS else "-opened", page=page)
    zone_name = settings(request).default_timezone
    found = page_of_cases(session, principal, filters, utcnow(), zone_name)
    return render(request, "cases/list.html", user=principal, found=found, cases=found.cases, filters=filters,
                  states=[s.value for s in CaseState], kinds=CASE_KINDS, counts=state_counts(session, principal),
                  may_work=may(principal.role, Permission.WORK_CASES))


def _sane(day: date | None) -> date | None:
    """A date filter within what a person means (a year 1 or 9999 is dropped, not sent to the database)."""
    return day if day is not None and 1990 <= day.year <= 2200 else None


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(case_id: CaseReference, request: Request, principal: WebUser, session: SessionDep,
                   done: Annotated[str, Query(max_length=40)] = "",
                   action: Annotated[int, Query(ge=0, le=2**62)] = 0) -> HTMLResponse:
    return _draw_case(request, principal, session, case_id, done=done, done_action=action)


_PAYMENT_TABLE: Any = PaymentRequest.__table__
# The case's actions as cases.schemas reads them, each with its payment page's token (None: it has none).
_ACTIONS_AND_PAYMENTS = FixedRead(
    select(ACTION_TABLE, _PAYMENT_TABLE.c.token.label("payment_token"))
    .outerjoin(_PAYMENT_TABLE, (_PAYMENT_TABLE.c.action_id == ACTION_TABLE.c.id)
               & (_PAYMENT_TABLE.c.case_id == ACTION_TABLE.c.case_id))
    .where(ACTION_TABLE.c.case_id == bindparam("case_id")).order_by(ACTION_TABLE.c.id))


@cache
def _section_rows() -> tuple[tuple[str, Any], ...]:
    """Whether the case has rows the sections show (files, messages, complaints, disputes): asked with the
    page's balances in one statement (cases.repository.case_facts); a section with none reads nothing."""
    from recoup.complaints.web import CASE_PAGE_HAS as complaints
    from recoup.disputes.web import CASE_PAGE_HAS as disputes
    from recoup.evidence.web import CASE_PAGE_HAS as evidence
    from recoup.messaging.web import CASE_PAGE_HAS as messages

    return evidence, messages, complaints, disputes


def build_page_reads() -> None:
    """The case reads the case page builds on first use, built now (recoup.web.warm_up)."""
    build_case_reads(_section_rows())


def _draw_case(request: Request, principal: Principal, session: Session, case_id: str, *, status_code: int = 200,
               form_error: dict[str, object] | None = None, done: str = "", done_action: int = 0) -> HTMLResponse:
    case, merchant = get_case_and_merchant(session, principal, case_id)
    state = CaseState(case.state)
    reads = read_case(session, case, _section_rows(), _ACTIONS_AND_PAYMENTS)
    detail = case_detail(session, case, reads)
    payments = {row.id: row.payment_token for row in reads.actions if row.payment_token is not None}
    page = CasePage(case, principal, merchant, reads)
    return render(
        request, "cases/detail.html", status_code=status_code, user=principal, case=case, detail=detail,
        targets=sorted(t.value for t in allowed_targets(state)), finished=state in FINAL_STATES,
        actionable=state not in FINAL_STATES and state != CaseState.RESOLVED, kinds=[k.value for k in RecoveryKind],
        idempotency_key=secrets.token_urlsafe(16), payments=payments, overdue=case.deadline_at < utcnow(),
        sections=_sections(session, page), merchant=merchant,
        zone=merchant.timezone if merchant else None, form_error=form_error or {}, typed=_typed(form_error or {}),
        prefill=amount_field(_remaining(case), case.currency), may=_abilities(principal),
        done_lines=done_message(done, detail, done_action),
    )


def _typed(form_error: dict[str, object]) -> Callable[..., object]:
    """The page's `typed(form, field, default="")`: what was typed into that field of the refused form (so a
    refusal keeps it), else the default. A plain function: the page asks it some fifteen times."""
    typed = form_error.get("typed")
    values = typed if isinstance(typed, dict) else {}
    refused = form_error.get("form")

    def typed_in(form: str, field: str, default: object = "") -> object:
        return values.get(field, default) if refused == form else default

    return typed_in


def _remaining(case: Case) -> int:
    """What is still to recover: the amount at stake less what came back (the whole amount if unclear)."""
    left = abs(case.at_stake_minor) - abs(case.recovered_minor)
    return left if left > 0 else abs(case.at_stake_minor)


def _abilities(principal: Principal) -> dict[str, bool]:
    """Which forms the case page offers: none the user's role would be refused (the auditor sees none)."""
    return {"work": may(principal.role, Permission.WORK_CASES), "money": may(principal.role, Permission.MOVE_MONEY)}


def _sections(session: Session, page: CasePage) -> dict[str, dict[str, object]]:
    """What the other domains show on the case page, each in its own partial template; each is handed what the
    page already read (CasePage), so no table is read twice."""
    from recoup.complaints.web import case_section as complaint_section
    from recoup.disputes.web import case_section as dispute_section
    from recoup.evidence.web import case_documents
    from recoup.evidence.web import case_section as evidence_section
    from recoup.messaging.web import case_section as message_section

    principal, case = page.principal, page.case
    return {"documents": case_documents(session, principal, case),
            "evidence": evidence_section(session, page),
            "messages": message_section(session, page),
            "complaint": complaint_section(session, principal, case, any_found=page.reads.has["complaints"]),
            "disputes": dispute_section(session, page)}


@router.post("/cases", dependencies=[Depends(check_csrf)])
def open_page(request: Request, principal: WebActor, rrn: Annotated[Rrn, Form()] = "",
              terminal_id: Annotated[TerminalId, Form()] = "", merchant_id: Annotated[MerchantId, Form()] = "",
              amount: Annotated[str, Form(max_length=32)] = "", summary: Text = "",
              back: Annotated[str, Form(max_length=20)] = "") -> Response:
    """Open a case by hand. Refused because the transaction already has a case (from any form), or for any
    reason when sent from the transaction page (back=transaction): the transaction page again, the refusal
    beside its form in the user's language, linking to the existing case."""
    named = {"rrn": rrn, "terminal_id": terminal_id, "merchant_id": merchant_id}
    try:
        amount = plain_amount(amount) if amount.strip() else ""  # "2,120元" as typed: a clear refusal if unclear
        opening = OpenRequest(rrn=rrn, terminal_id=terminal_id, merchant_id=merchant_id, amount=amount,
                              summary=summary)
        return _change(request, principal, "case.open", rrn or merchant_id or "-", {"rrn": rrn, "amount": amount},
                       lambda session: open_case(session, principal, opening), done="opened")
    except RecoupError as error:
        existing = _existing_case(error)
        if isinstance(error, NotFound) or not (existing or back == "transaction"):
            raise
        again = transaction_again(request, principal, named, page_message(request_locale(request), error.message),
                                  error.status, case=existing, typed={"summary": summary})
        if again is None:
            raise
        return again


def _existing_case(error: RecoupError) -> str:
    """The number of the case a refusal conflicts with (cases.opening names it in the detail), or ""."""
    detail = error.detail
    case = detail.get("case") if isinstance(error, Conflict) and isinstance(detail, dict) else None
    return case if isinstance(case, str) else ""


@router.post("/cases/{case_id}/move", dependencies=[Depends(check_csrf)])
def move_page(case_id: CaseReference, request: Request, principal: WebActor, state: Annotated[State, Form()] = "",
              reason: Text = "") -> Response:
    return _change(request, principal, "case.move", case_id, {"state": state, "reason": reason},
                   lambda session: move_case(session, principal, case_id, state, reason), form="move", done="moved")


@router.post("/cases/{case_id}/reopen", dependencies=[Depends(check_csrf)])
def reopen_page(case_id: CaseReference, request: Request, principal: WebActor, reason: Text = "") -> Response:
    return _change(request, principal, "case.reopen", case_id, {"reason": reason},
                   lambda session: reopen_case(session, principal, case_id, reason), form="reopen", done="reopened")


@router.post("/cases/{case_id}/escalate", dependencies=[Depends(check_csrf)])
def escalate_page(case_id: CaseReference, request: Request, principal: WebActor, reason: Text = "") -> Response:
    return _change(request, principal, "case.escalate", case_id, {"reason": reason},
                   lambda session: escalate_case(session, principal, case_id, reason), form="escalate",
                   done="escalated")


@router.post("/cases/{case_id}/assign", dependencies=[Depends(check_csrf)])
def assign_page(case_id: CaseReference, request: Request, principal: WebActor,
                username: Annotated[str, Form(max_length=80)] = "") -> Response:
    changed = [True]

    def assign(session: Session) -> Case:
        case, changed[0] = assign_case_telling(session, principal, case_id, username)
        return case

    return _change(request, principal, "case.assign", case_id, {"owner": username}, assign, form="assign",
                   done=lambda: "assigned" if changed[0] else "owner_unchanged")


@router.post("/cases/{case_id}/notes", dependencies=[Depends(check_csrf)])
def note_page(case_id: CaseReference, request: Request, principal: WebActor, text: Text = "") -> Response:
    return _change(request, principal, "case.note", case_id, {"text": text[:200]},
                   lambda session: add_note(session, principal, case_id, text), form="note", done="note")
