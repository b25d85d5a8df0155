"""Pages of the complaints domain: the staff inbox, a complaint's page and its forms, the staff's own
complaint against the provider, the merchant's printable QR poster; the public pages come from
complaints.public (included here). Reading needs READ; every form needs WORK_CASES, checked first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import StringConstraints
from sqlalchemy import bindparam, exists
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.cases.models import Case
from recoup.complaints import views
from recoup.complaints.intake import file_against_provider
from recoup.complaints.linking import join_case, link_transaction, open_case_for
from recoup.complaints.models import Complaint
from recoup.complaints.ports import EVIDENCE, function
from recoup.complaints.public import echoed
from recoup.complaints.public import router as public_router
from recoup.complaints.repository import PAGE_SIZE, complaint_id_of, list_complaints
from recoup.complaints.rules import parse_facts
from recoup.complaints.service import answer, close
from recoup.errors import NotFound, RecoupError
from recoup.merchants.repository import get_merchant, list_merchants
from recoup.web.csrf import check_csrf
from recoup.web.deps import Now, SessionDep, SettingsDep, WebUser
from recoup.web.params import MerchantId, Offset, State
from recoup.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)
router.routes.extend(public_router.routes)  # the public pages, as they are (their upload route class kept)
ComplaintRef = Annotated[str, StringConstraints(max_length=24)]
Short = Annotated[str, Form(max_length=200)]
Text = Annotated[str, Form(max_length=4000)]


def web_worker(principal: WebUser) -> Principal:
    principal.require(Permission.WORK_CASES)
    return principal


Worker = Annotated[Principal, Depends(web_worker)]
Csrf = [Depends(check_csrf)]


@router.get("/complaints", response_class=HTMLResponse)
def inbox(request: Request, principal: WebUser, session: SessionDep, now: Now, state: State = "",
          merchant_id: MerchantId = "", overdue: Annotated[str, Query(max_length=8)] = "",
          offset: Offset = 0) -> HTMLResponse:
    """Every complaint the user may see, the soonest deadline first, with the merchants' QR posters."""
    found, total = list_complaints(session, principal, state=state or None, merchant_id=merchant_id or None,
                                   overdue_at=now if overdue else None, offset=offset)
    filters = {"state": state, "merchant_id": merchant_id, "overdue": overdue}
    return render(request, "complaints/inbox.html", user=principal, rows=views.inbox_rows(session, found, now),
                  total=total, offset=offset, page_size=PAGE_SIZE, filters=filters, states=views.STATES,
                  merchants=list_merchants(session, principal))


@router.get("/complaints/new", response_class=HTMLResponse)
def new_page(request: Request, principal: Worker, session: SessionDep) -> HTMLResponse:
    """A merchant's staff complaint against its provider (the same record as a payer's)."""
    return render(request, "complaints/new.html", user=principal, merchants=list_merchants(session, principal),
                  values={}, error="")


@router.post("/complaints/new", dependencies=Csrf)
def new_post(request: Request, principal: Worker, session: SessionDep, config: SettingsDep, now: Now,
             merchant_id: Annotated[MerchantId, Form()] = "", amount: Short = "", when: Short = "",
             last4: Short = "", terminal_id: Short = "", description: Text = "") -> Response:
    values = echoed({"merchant_id": merchant_id, "amount": amount, "when": when, "last4": last4,
                     "terminal_id": terminal_id, "description": description})
    try:
        merchant = get_merchant(session, principal, merchant_id)
        facts = parse_facts(amount, when, last4, description, zone=merchant.timezone or config.default_timezone,
                            terminal_id=terminal_id)
        filed = file_against_provider(session, config, principal, merchant_id, facts, now)
    except RecoupError as refused:
        session.rollback()
        return render(request, "complaints/new.html", status_code=refused.status, user=principal,
                      merchants=list_merchants(session, principal), values=values,
                      error=views.error_words(request_locale(request), refused))
    return RedirectResponse(f"/complaints/{filed.complaint.id}", status_code=303)


@router.get("/complaints/qr/{merchant_id}", response_class=HTMLResponse)
def qr_poster(merchant_id: MerchantId, request: Request, principal: WebUser, session: SessionDep) -> HTMLResponse:
    """The printable poster of a merchant's complaint page: the QR code and its address."""
    merchant = get_merchant(session, principal, merchant_id)
    url = f"{request.base_url}c/{merchant.merchant_id}"
    return render(request, "complaints/qr.html", user=principal, merchant=merchant, url=url, svg=views.qr_svg(url))


@router.get("/complaints/{complaint_id}", response_class=HTMLResponse)
def complaint_page(complaint_id: ComplaintRef, request: Request, principal: WebUser, session: SessionDep,
                   now: Now) -> HTMLResponse:
    return _detail(request, principal, session, complaint_id_of(complaint_id), now)


@router.get("/complaints/{complaint_id}/photos/{item_id}")
def photo(complaint_id: ComplaintRef, item_id: ComplaintRef, principal: WebUser, session: SessionDep,
          config: SettingsDep, now: Now) -> Response:
    """A file the complainant sent (the slip photo), read from the evidence vault; the read is audited."""
    item = views.photo_item(session, principal, complaint_id_of(complaint_id), complaint_id_of(item_id))
    content = b"".join(function(EVIDENCE, "read_for")(session, config, principal, item, now))
    disposition = "inline" if str(item.content_type).startswith("image/") else "attachment"
    return Response(content, media_type=str(item.content_type),
                    headers={"content-disposition": f'{disposition}; filename="complaint-file-{item.id}"'})


def _detail(request: Request, principal: Principal, session: Session, number: int, now: datetime,
            error: str = "", status_code: int = 200) -> HTMLResponse:
    view = views.detail(session, principal, number, now)
    return render(request, "complaints/detail.html", status_code=status_code, user=principal, error=error, **view)


def _act(request: Request, principal: Principal, session: Session, reference: str, now: datetime,
         work: views.Work) -> Response:
    """Do one change; back to the complaint's page, or that page again with the reason it was refused."""
    number = complaint_id_of(reference)
    try:
        work(number)
    except NotFound:
        raise
    except RecoupError as refused:
        session.rollback()
        return _detail(request, principal, session, number, now, views.error_words(request_locale(request), refused),
                       refused.status)
    return RedirectResponse(f"/complaints/{number}", status_code=303)


@router.post("/complaints/{complaint_id}/link", dependencies=Csrf)
def link_page(complaint_id: ComplaintRef, request: Request, principal: Worker, session: SessionDep, now: Now,
              journal_id: Short = "") -> Response:
    line = int(journal_id) if journal_id.strip().isdigit() and len(journal_id.strip()) < 19 else 0
    return _act(request, principal, session, complaint_id, now,
                lambda number: link_transaction(session, principal, number, line, now))


@router.post("/complaints/{complaint_id}/open-case", dependencies=Csrf)
def open_case_page(complaint_id: ComplaintRef, request: Request, principal: Worker, session: SessionDep,
                   now: Now) -> Response:
    return _act(request, principal, session, complaint_id, now,
                lambda number: open_case_for(session, principal, number, now))


@router.post("/complaints/{complaint_id}/join-case", dependencies=Csrf)
def join_case_page(complaint_id: ComplaintRef, request: Request, principal: Worker, session: SessionDep, now: Now,
                   case_number: Short = "") -> Response:
    return _act(request, principal, session, complaint_id, now,
                lambda number: join_case(session, principal, number, case_number, now))


@router.post("/complaints/{complaint_id}/answer", dependencies=Csrf)
def answer_page(complaint_id: ComplaintRef, request: Request, principal: Worker, session: SessionDep,
                config: SettingsDep, now: Now, text: Text = "") -> Response:
    return _act(request, principal, session, complaint_id, now,
                lambda number: answer(session, config, principal, number, text, now))


@router.post("/complaints/{complaint_id}/close", dependencies=Csrf)
def close_page(complaint_id: ComplaintRef, request: Request, principal: Worker, session: SessionDep, now: Now,
               note: Text = "") -> Response:
    return _act(request, principal, session, complaint_id, now,
                lambda number: close(session, principal, number, note, now))


# Whether any complaint (in any scope) names the case: asked with the case page's other reads
# (cases.schemas.read_case's `more`); when none does, case_section reads nothing.
CASE_PAGE_HAS = ("complaints", exists().where(Complaint.case_id == bindparam("case_id")))


def case_section(session: Session, principal: Principal, case: Case, *, any_found: bool = True) -> dict[str, object]:
    """What templates/complaints/_case_section.html shows on the case page (cases.web.case_page calls it);
    any_found=False: the page's reads found no complaint of the case (CASE_PAGE_HAS), so none is read."""
    return views.case_section(session, principal, case) if any_found else {"complaints": []}
