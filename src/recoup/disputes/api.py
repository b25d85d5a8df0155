"""REST routes of the disputes domain (mounted under /api/v1).

Every POST submits or moves money, so each needs an Idempotency-Key: the same key and request again
answers the first result (with the Idempotent-Replayed header) and acts once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import StringConstraints
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.cases.api import ApiActor
from recoup.cases.models import Case
from recoup.cases.repository import get_case
from recoup.disputes.keyed import keyed
from recoup.disputes.models import Dispute
from recoup.disputes.repository import get_dispute, list_disputes, merchant_day, reason_codes
from recoup.disputes.schemas import AcceptIn, AdvanceIn, OpenDisputeIn, OutcomeIn, RespondIn, dispute_row
from recoup.disputes.service import OpenRequest, accept, advance, open_dispute, record_outcome, respond
from recoup.disputes.submission_zip import submission_response
from recoup.disputes.views import detail_of, due_soon_day
from recoup.recovery.api import REPLAYED_HEADER, IdempotencyHeader
from recoup.web.deps import ApiUser, Now, SessionDep, SettingsDep, database
from recoup.web.params import CaseReference, State

router = APIRouter(tags=["disputes"])
DisputeRef = Annotated[str, StringConstraints(max_length=20)]
SchemeName = Annotated[str, StringConstraints(max_length=20)]


def _row(session: Session, dispute: Dispute) -> dict[str, object]:
    case = session.get(Case, dispute.case_id)
    return dispute_row(dispute, case.number if case else "")


def _keyed(request: Request, response: Response, principal: Principal, action: str, object_id: str,
           key: str | None, parameters: dict[str, object], work: Callable[[Session], Dispute],
           now: datetime) -> dict[str, object]:
    def perform(session: Session) -> dict[str, object]:
        return _row(session, work(session))

    answer, replayed = keyed(database(request), principal, action, object_id, key, parameters, perform, now)
    if replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return answer


@router.get("/cases/{case_id}/disputes")
def case_disputes(case_id: CaseReference, principal: ApiUser, session: SessionDep) -> list[dict[str, object]]:
    case = get_case(session, principal, case_id)
    return [dispute_row(d, case.number) for d in list_disputes(session, principal, case_id=case.id)]


@router.post("/cases/{case_id}/disputes", status_code=201)
def open_(case_id: CaseReference, body: OpenDisputeIn, request: Request, response: Response, principal: ApiActor,
          now: Now, idempotency_key: IdempotencyHeader = None) -> dict[str, object]:
    """Open a retrieval request or a chargeback on the case (its due date is computed unless given)."""
    opening = OpenRequest(body.scheme, body.stage, body.reason_code, body.amount, body.reference, body.received_on,
                          body.due_on)
    return _keyed(request, response, principal, "dispute.open", case_id, idempotency_key, body.model_dump(),
                  lambda session: open_dispute(session, principal, case_id, opening, now), now)


@router.get("/disputes")
def disputes(principal: ApiUser, session: SessionDep, now: Now, state: State | None = None,
             scheme: SchemeName | None = None, due_soon: bool = False, outcome: State | None = None,
             limit: Annotated[int, Query(ge=1, le=10000)] = 1000) -> list[dict[str, object]]:
    """The caller's disputes, soonest due first; `due_soon`: awaiting an answer within 3 days;
    `outcome`: ended so (e.g. EXPIRED)."""
    found = list_disputes(session, principal, state=state, scheme=scheme, outcome=outcome,
                          due_by=due_soon_day(now) if due_soon else None, limit=limit)
    return [_row(session, dispute) for dispute in found]


@router.get("/dispute-reasons")
def reasons(principal: ApiUser, session: SessionDep, scheme: SchemeName | None = None) -> list[dict[str, object]]:
    """The tenant's reason codes, their words and the evidence each calls for."""
    return [{"scheme": r.scheme, "code": r.code, "label_zh": r.label_zh, "label_en": r.label_en,
             "evidence_kinds": list(r.evidence_kinds)}
            for r in reason_codes(session, principal.tenant_id, scheme.strip().upper() if scheme else None)]


@router.get("/disputes/{dispute_id}")
def dispute(dispute_id: DisputeRef, principal: ApiUser, session: SessionDep, now: Now) -> dict[str, object]:
    found = get_dispute(session, principal, dispute_id)
    return {**_row(session, found), **detail_of(session, found, merchant_day(session, found.merchant_id, now))}


@router.get("/disputes/{dispute_id}/submission.zip", response_class=StreamingResponse)
def submission_zip(dispute_id: DisputeRef, request: Request, principal: ApiActor, settings_: SettingsDep, now: Now,
                   submission: Annotated[int | None, Query(ge=1, le=10000)] = None) -> StreamingResponse:
    """The frozen submission (the latest, or number `submission`) as a ZIP: documents and manifest (audited)."""
    return submission_response(database(request), settings_, principal, dispute_id, now, submission)


@router.post("/disputes/{dispute_id}/respond")
def respond_(dispute_id: DisputeRef, body: RespondIn, request: Request, response: Response, principal: ApiActor,
             now: Now, idempotency_key: IdempotencyHeader = None) -> dict[str, object]:
    """Submit this stage's answer with the chosen evidence (default: what the reason code calls for)."""
    return _keyed(request, response, principal, "dispute.respond", dispute_id, idempotency_key, body.model_dump(),
                  lambda session: respond(session, principal, dispute_id, body.evidence_ids, now, body.note,
                                          body.late_reason), now)


@router.post("/disputes/{dispute_id}/accept")
def accept_(dispute_id: DisputeRef, body: AcceptIn, request: Request, response: Response, principal: ApiActor,
            now: Now, idempotency_key: IdempotencyHeader = None) -> dict[str, object]:
    """Accept the chargeback: the money stays with the cardholder."""
    return _keyed(request, response, principal, "dispute.accept", dispute_id, idempotency_key, body.model_dump(),
                  lambda session: accept(session, principal, dispute_id, now, body.note), now)


@router.post("/disputes/{dispute_id}/outcome")
def outcome(dispute_id: DisputeRef, body: OutcomeIn, request: Request, response: Response, principal: ApiActor,
            now: Now, idempotency_key: IdempotencyHeader = None) -> dict[str, object]:
    """The scheme's decision: won (the amount is credited back), lost or withdrawn."""
    return _keyed(request, response, principal, "dispute.outcome", dispute_id, idempotency_key, body.model_dump(),
                  lambda session: record_outcome(session, principal, dispute_id, body.outcome, now, body.note), now)


@router.post("/disputes/{dispute_id}/advance")
def advance_(dispute_id: DisputeRef, body: AdvanceIn, request: Request, response: Response, principal: ApiActor,
             now: Now, idempotency_key: IdempotencyHeader = None) -> dict[str, object]:
    """The scheme's next stage arrived: chargeback, pre-arbitration or arbitration."""
    return _keyed(request, response, principal, "dispute.advance", dispute_id, idempotency_key, body.model_dump(),
                  lambda session: advance(session, principal, dispute_id, body.stage, now,
                                          body.received_on or None, body.due_on or None, body.reference), now)
