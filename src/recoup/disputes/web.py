"""Pages of the disputes domain: the list with due dates and filters, and the dispute page with its
submission builder (pick the evidence, see what is missing, preview the bundle, submit), accept (with a
confirmation step), the scheme's next stage and the outcome. No script: each step is a plain form."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy import bindparam, exists
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.auth.roles import Permission, may
from recoup.cases.models import Case
from recoup.cases.page_view import CasePage
from recoup.cases.web import WebActor
from recoup.disputes import rules as R
from recoup.disputes import service
from recoup.disputes.keyed import keyed
from recoup.disputes.models import Dispute
from recoup.disputes.repository import (
    disputes_of_case,
    get_dispute,
    list_disputes,
    merchant_day,
    merchant_zone,
    schemes_of,
)
from recoup.disputes.schemas import dispute_row
from recoup.disputes.submission import builder, manifest, manifest_sha256, submissions_of
from recoup.disputes.submission_zip import submission_response
from recoup.disputes.views import due_soon_day
from recoup.web.csrf import check_csrf
from recoup.web.deps import Now, SessionDep, SettingsDep, WebUser, database
from recoup.web.formatting import format_when
from recoup.web.params import CaseReference, State
from recoup.web.templating import render

router = APIRouter(include_in_schema=False)
DisputeRef = Annotated[str, Query(max_length=20)]
Text = Annotated[str, Form(max_length=2000)]
KeyField = Annotated[str, Form(max_length=120)]
CodeField = Annotated[str, Form(max_length=20)]
DayField = Annotated[str, Form(max_length=10)]
AmountField = Annotated[str, Form(max_length=32)]


@router.get("/disputes", response_class=HTMLResponse)
def disputes_page(request: Request, principal: WebUser, session: SessionDep, now: Now, state: State = "",
                  scheme: Annotated[str, Query(max_length=20)] = "",
                  due_soon: Annotated[str, Query(max_length=8)] = "", outcome: State = "") -> HTMLResponse:
    found = list_disputes(session, principal, state=state or None, scheme=scheme or None, outcome=outcome or None,
                          due_by=due_soon_day(now) if due_soon else None, limit=500)
    rows = [(d, _number(session, d), (d.due_on - merchant_day(session, d.merchant_id, now)).days) for d in found]
    return render(request, "disputes/list.html", user=principal, rows=rows,
                  filters={"state": state, "scheme": scheme, "due_soon": bool(due_soon), "outcome": outcome},
                  states=[s.value for s in R.DisputeState], outcomes=[o.value for o in R.Outcome],
                  schemes=[rule.scheme for rule in schemes_of(session, principal.tenant_id)])


@router.get("/disputes/{dispute_id}", response_class=HTMLResponse)
def dispute_page(dispute_id: str, request: Request, principal: WebUser, session: SessionDep, now: Now,
                 evidence: Annotated[list[int] | None, Query(max_length=200)] = None,
                 preview: Annotated[str, Query(max_length=8)] = "",
                 confirm: Annotated[str, Query(max_length=8)] = "") -> HTMLResponse:
    dispute = get_dispute(session, principal, dispute_id[:20])
    found = builder(session, dispute)
    chosen_ids = set(evidence or []) if preview else {i.id for i in found.evidence if i.kind in found.called_for}
    chosen = [item for item in found.evidence if item.id in chosen_ids]
    rows = manifest(chosen)
    zone = merchant_zone(session, dispute.merchant_id)
    return render(
        request, "disputes/detail.html", user=principal, dispute=dispute, number=_number(session, dispute),
        row=dispute_row(dispute, _number(session, dispute)), reason=found.reason, evidence=found.evidence,
        called_for=found.called_for, missing=[k for k in found.called_for if k not in {i.kind for i in chosen}],
        chosen_ids=chosen_ids, preview=bool(preview), manifest=rows,
        manifest_sha256=manifest_sha256(dispute, dispute.stage, rows), submissions=submissions_of(session, dispute),
        days_left=(dispute.due_on - merchant_day(session, dispute.merchant_id, now)).days,
        can_act=may(principal.role, Permission.DISPUTE) and dispute.state != R.DisputeState.ENDED.value,
        awaiting=dispute.state == R.DisputeState.AWAITING_RESPONSE.value, confirm_accept=confirm == "accept",
        acceptable=dispute.stage in {s.value for s in R.ACCEPTABLE},
        next_stages=sorted(s.value for s in R.NEXT_STAGES[R.Stage(dispute.stage)]),
        idempotency_key=secrets.token_urlsafe(16), when=lambda moment: _when(moment, zone))


@router.get("/disputes/{dispute_id}/submission.zip", response_class=StreamingResponse)
def submission_zip_page(dispute_id: str, request: Request, principal: WebActor, settings_: SettingsDep, now: Now,
                        submission: Annotated[int | None, Query(ge=1, le=10000)] = None) -> StreamingResponse:
    """The frozen submission (the latest, or number `submission`) as a ZIP: documents and manifest (audited)."""
    return submission_response(database(request), settings_, principal, dispute_id[:20], now, submission)


def _when(moment: datetime, zone: ZoneInfo) -> str:
    return format_when(moment, zone.key, labelled=False)


def _number(session: Session, dispute: Dispute) -> str:
    case = session.get(Case, dispute.case_id)
    return case.number if case else ""


def _change(request: Request, principal: Principal, action: str, dispute_id: str, key: str,
            parameters: dict[str, object], work: Callable[[Session], Dispute], now: datetime) -> Response:
    principal.require(Permission.DISPUTE)
    answer, _ = keyed(database(request), principal, action, dispute_id, key or secrets.token_urlsafe(16),
                      parameters, lambda session: {"id": work(session).id}, now)
    return RedirectResponse(f"/disputes/{answer['id']}", status_code=303)


@router.post("/cases/{case_id}/disputes", dependencies=[Depends(check_csrf)])
def open_page(case_id: CaseReference, request: Request, principal: WebActor, now: Now, scheme: CodeField = "",
              stage: CodeField = "chargeback", reason_code: CodeField = "", amount: AmountField = "",
              reference: Annotated[str, Form(max_length=40)] = "", received_on: DayField = "",
              idempotency_key: KeyField = "") -> Response:
    opening = service.OpenRequest(scheme, stage, reason_code, amount, reference, received_on)
    return _change(request, principal, "dispute.open", case_id, idempotency_key, dict(opening.__dict__),
                   lambda session: service.open_dispute(session, principal, case_id, opening, now), now)


# Whether any dispute (in any scope) is of the case: asked with the case page's other reads
# (cases.schemas.read_case's `more`); when none is, the section does not ask for them.
CASE_PAGE_HAS = ("disputes", exists().where(Dispute.case_id == bindparam("case_id")))


def case_section(session: Session, page: CasePage) -> dict[str, object]:
    """What templates/disputes/_case_section.html shows on the case page (cases.web.case_page may call it)."""
    principal = page.principal
    has_any = page.reads.has.get("disputes", True)
    may_open = may(principal.role, Permission.DISPUTE)
    return {"disputes": disputes_of_case(session, principal, page.case.id) if has_any else [],
            "may_open": may_open,  # the schemes are read for the form that opens a dispute, only shown to its roles
            "schemes": [rule.scheme for rule in schemes_of(session, principal.tenant_id)] if may_open else [],
            "idempotency_key": secrets.token_urlsafe(16)}


@router.post("/disputes/{dispute_id}/respond", dependencies=[Depends(check_csrf)])
def respond_page(dispute_id: str, request: Request, principal: WebActor, now: Now,
                 evidence: Annotated[list[int] | None, Form(max_length=200)] = None, note: Text = "",
                 late_reason: Text = "", idempotency_key: KeyField = "") -> Response:
    ids = sorted(set(evidence or []))
    return _change(request, principal, "dispute.respond", dispute_id, idempotency_key,
                   {"evidence": ids, "note": note, "late_reason": late_reason},
                   lambda session: service.respond(session, principal, dispute_id, ids, now, note, late_reason,
                                                   chosen_only=True), now)


@router.post("/disputes/{dispute_id}/accept", dependencies=[Depends(check_csrf)])
def accept_page(dispute_id: str, request: Request, principal: WebActor, now: Now, note: Text = "",
                idempotency_key: KeyField = "") -> Response:
    return _change(request, principal, "dispute.accept", dispute_id, idempotency_key, {"note": note},
                   lambda session: service.accept(session, principal, dispute_id, now, note), now)


@router.post("/disputes/{dispute_id}/outcome", dependencies=[Depends(check_csrf)])
def outcome_page(dispute_id: str, request: Request, principal: WebActor, now: Now, outcome: CodeField = "",
                 note: Text = "", idempotency_key: KeyField = "") -> Response:
    return _change(request, principal, "dispute.outcome", dispute_id, idempotency_key,
                   {"outcome": outcome, "note": note},
                   lambda session: service.record_outcome(session, principal, dispute_id, outcome, now, note), now)


@router.post("/disputes/{dispute_id}/advance", dependencies=[Depends(check_csrf)])
def advance_page(dispute_id: str, request: Request, principal: WebActor, now: Now, stage: CodeField = "",
                 received_on: DayField = "", due_on: DayField = "", idempotency_key: KeyField = "") -> Response:
    return _change(request, principal, "dispute.advance", dispute_id, idempotency_key,
                   {"stage": stage, "received_on": received_on, "due_on": due_on},
                   lambda session: service.advance(session, principal, dispute_id, stage, now, received_on or None,
                                                   due_on or None), now)
