"""REST routes of the complaints domain (mounted under /api/v1): read the inbox, link, answer, close.

Reading needs READ; working a complaint needs WORK_CASES, checked before anything else is read (the
body included), so a role that may not work complaints learns nothing from the answer but 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import StringConstraints

from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.complaints.linking import link_transaction
from recoup.complaints.repository import complaint_id_of, get_complaint, list_complaints
from recoup.complaints.schemas import AnswerIn, CloseIn, LinkIn, complaint_detail, complaint_row
from recoup.complaints.service import answer, close
from recoup.web.deps import ApiUser, Now, SessionDep, SettingsDep
from recoup.web.params import Limit, MerchantId, Offset, State

router = APIRouter(tags=["complaints"])
ComplaintRef = Annotated[str, StringConstraints(max_length=24)]


def api_reader(principal: ApiUser) -> Principal:
    principal.require(Permission.READ)
    return principal


def api_worker(principal: ApiUser) -> Principal:
    principal.require(Permission.WORK_CASES)
    return principal


Reader = Annotated[Principal, Depends(api_reader)]
Worker = Annotated[Principal, Depends(api_worker)]


@router.get("/complaints")
def complaints(principal: Reader, session: SessionDep, now: Now, state: State = "", merchant_id: MerchantId = "",
               overdue: Annotated[bool, Query()] = False, offset: Offset = 0, limit: Limit = 50) -> dict[str, object]:
    """The complaints you may see, the soonest deadline first."""
    found, total = list_complaints(session, principal, state=state or None, merchant_id=merchant_id or None,
                                   overdue_at=now if overdue else None, offset=offset, limit=limit)
    return {"total": total, "offset": offset, "complaints": [complaint_row(c) for c in found]}


@router.get("/complaints/{complaint_id}")
def complaint(complaint_id: ComplaintRef, principal: Reader, session: SessionDep) -> dict[str, object]:
    return complaint_detail(session, get_complaint(session, principal, complaint_id_of(complaint_id)))


@router.post("/complaints/{complaint_id}/link")
def link(complaint_id: ComplaintRef, body: LinkIn, principal: Worker, session: SessionDep,
         now: Now) -> dict[str, object]:
    """Link the transaction the complaint is about (one of its own merchant's)."""
    found = link_transaction(session, principal, complaint_id_of(complaint_id), body.journal_id, now)
    return complaint_detail(session, found)


@router.post("/complaints/{complaint_id}/answer")
def answer_(complaint_id: ComplaintRef, body: AnswerIn, principal: Worker, session: SessionDep, config: SettingsDep,
            now: Now) -> dict[str, object]:
    """Answer the payer (shown on the status page, sent to their contact when they left one)."""
    number = complaint_id_of(complaint_id)
    answer(session, config, principal, number, body.text, now)
    return complaint_detail(session, get_complaint(session, principal, number))


@router.post("/complaints/{complaint_id}/close")
def close_(complaint_id: ComplaintRef, body: CloseIn, principal: Worker, session: SessionDep,
           now: Now) -> dict[str, object]:
    return complaint_detail(session, close(session, principal, complaint_id_of(complaint_id), body.note, now))
