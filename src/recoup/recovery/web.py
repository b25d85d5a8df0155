"""Recovery from the case page, and the payer's public payment page, QR code and printable slip.

The case page's action form carries an idempotency key made when the page was drawn, so a form
sent twice (a double click, a reload) acts once. The public pages show a payment request by its
unguessable token and nothing else.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from recoup.cases.web import WebActor, refused_form
from recoup.errors import NotFound, RecoupError
from recoup.recovery.collect import by_token
from recoup.recovery.emvqr import render_svg
from recoup.recovery.plans import ActionRequest
from recoup.recovery.qr_account import QrAccountTemplate
from recoup.recovery.service import confirm_by_hand, perform
from recoup.web.csrf import check_csrf
from recoup.web.deps import SessionDep, database, settings
from recoup.web.formatting import plain_amount
from recoup.web.i18n import normalise_locale
from recoup.web.params import CaseReference, DatabaseId, LanguageTag, PayToken
from recoup.web.templating import render

router = APIRouter(include_in_schema=False)
Short = Annotated[str, Form(max_length=24)]


@router.post("/cases/{case_id}/actions", dependencies=[Depends(check_csrf)])
def act_page(case_id: CaseReference, request: Request, principal: WebActor, kind: Short = "",
             amount: Annotated[str, Form(max_length=32)] = "",
             direction: Short = "", funding: Short = "", idempotency_key: Annotated[str, Form(max_length=120)] = "",
             note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """One recovery action. The same form sent twice (a double click, a reload) acts once and shows the
    first result; a refusal re-draws the case page with the error beside the form and what was typed."""
    typed: dict[str, object] = {"kind": kind, "amount": amount, "direction": direction, "funding": funding,
                                "note": note}
    try:
        plain = plain_amount(amount) if amount.strip() else None
        action = ActionRequest(kind, plain, direction=direction.strip() or None, note=note,
                               funding=funding.strip() or None)
        outcome = perform(database(request), principal, case_id, action, idempotency_key,
                          qr_default=QrAccountTemplate.from_settings(settings(request)))
    except RecoupError as error:
        if isinstance(error, NotFound):
            raise
        return refused_form(request, principal, case_id, "action", error, typed)
    done = "replayed" if outcome.replayed else "action"
    return RedirectResponse(f"/cases/{case_id}?done={done}&action={outcome.action.get('id', 0)}", status_code=303)


@router.post("/cases/{case_id}/actions/{action_id}/confirm", dependencies=[Depends(check_csrf)])
def confirm_page(case_id: CaseReference, action_id: DatabaseId, request: Request, principal: WebActor,
                 reference: Annotated[str, Form(max_length=80)] = "") -> Response:
    try:
        confirm_by_hand(database(request), principal, case_id, action_id, reference)
    except RecoupError as error:
        if isinstance(error, NotFound):
            raise
        return refused_form(request, principal, case_id, f"confirm-{action_id}", error, {"reference": reference})
    return RedirectResponse(f"/cases/{case_id}?done=confirmed", status_code=303)


@router.get("/pay/{token}", response_class=HTMLResponse)
def pay_page(token: PayToken, request: Request, session: SessionDep, lang: LanguageTag = "") -> HTMLResponse:
    """The payer's page (no account): amount, bill number and QR code, in Chinese or English (?lang=en)."""
    _choose_language(request, lang)
    payment = by_token(session, token)
    return render(request, "cases/pay.html", user=None, request_=payment, qr_svg=render_svg(payment.payload, scale=6))


@router.get("/pay/{token}/slip", response_class=HTMLResponse)
def slip_page(token: PayToken, request: Request, session: SessionDep, lang: LanguageTag = "") -> HTMLResponse:
    """The printable slip of the same request."""
    _choose_language(request, lang)
    payment = by_token(session, token)
    return render(request, "cases/slip.html", user=None, request_=payment, qr_svg=render_svg(payment.payload, scale=5))


def _choose_language(request: Request, lang: str) -> None:
    """A payer follows a link, so the language may come with it; it stays for the next page."""
    if lang.strip():
        request.session["locale"] = normalise_locale(lang.strip()[:10])


@router.get("/pay/{token}/qr.svg")
def qr_svg(token: PayToken, session: SessionDep) -> Response:
    svg = render_svg(by_token(session, token).payload, scale=8)
    return Response(svg, media_type="image/svg+xml")
