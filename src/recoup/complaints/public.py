"""The payer's public pages (no account): the complaint form a receipt's QR code opens, and the status page.

Abuse resistance (SPEC section 7): a form token against CSRF, a honeypot field (filled: a normal-looking
thank-you page and nothing stored), rate limits per client address and per merchant kept in the
database, one photo of at most 10 MB that must be an image or a PDF (its first bytes agreeing), long
random tracking codes. A refused form comes back with the payer's words kept and the reason in their
language; nothing is stored unless everything is.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import StringConstraints

from recoup.complaints.intake import Photo, PublicFiling, file_public, public_merchant
from recoup.complaints.rules import (
    MAX_PHOTO_BYTES,
    RateLimits,
    new_tracking_code,
    parse_contact,
    parse_facts,
    photo_kind,
)
from recoup.complaints.service import find_by_code, public_status, rate
from recoup.complaints.throttle import count_attempt
from recoup.complaints.views import error_words
from recoup.errors import InvalidInput, RecoupError
from recoup.merchants.models import Merchant
from recoup.transactions.pan_guard import mask_pans
from recoup.web.deps import AddressDep, Now, database, settings
from recoup.web.i18n import normalise_locale, translate
from recoup.web.params import LanguageTag, MerchantId
from recoup.web.templating import render, request_locale
from recoup.web.upload_form import UploadRoute

router = APIRouter(include_in_schema=False, route_class=UploadRoute)
LIMITS = RateLimits()
Field = Annotated[str, Form(max_length=200)]
Code = Annotated[str, StringConstraints(max_length=128)]
TOO_LARGE = "the photo is too large: at most 10 MB"
EXPIRED = "the form has expired: please send it again"
FORM_FIELDS = ("amount", "when", "last4", "description", "contact")


def _choose_language(request: Request, lang: str) -> None:
    if lang.strip():
        request.session["locale"] = normalise_locale(lang.strip()[:10])


def _form_page(request: Request, merchant: Merchant, values: dict[str, str], error: str = "",
               status_code: int = 200) -> HTMLResponse:
    return render(request, "complaints/public_form.html", status_code=status_code, user=None, merchant=merchant,
                  values=values, error=error, here=f"/c/{merchant.merchant_id}")


def _problem(request: Request, message: str, status_code: int) -> HTMLResponse:
    return render(request, "complaints/public_problem.html", status_code=status_code, user=None, message=message)


@router.get("/c/{merchant_id}", response_class=HTMLResponse)
def complaint_form(merchant_id: MerchantId, request: Request, lang: LanguageTag = "") -> HTMLResponse:
    """The form a receipt's QR code opens, in Chinese (default) or English (?lang=en)."""
    _choose_language(request, lang)
    with database(request).unit_of_work() as session:
        try:
            merchant = public_merchant(session, merchant_id)
        except RecoupError as missing:
            return _problem(request, error_words(request_locale(request), missing), missing.status)
    return _form_page(request, merchant, dict.fromkeys(FORM_FIELDS, ""))


def echoed(values: dict[str, str]) -> dict[str, str]:
    """The form's texts to show again: card numbers masked, and more than four card digits not at all."""
    shown = {name: mask_pans(text) for name, text in values.items()}
    if len(shown.get("last4", "").strip()) > 4:
        shown["last4"] = ""
    return shown


def _same_form(request: Request, sent: str) -> bool:
    expected = request.session.get("csrf")
    return isinstance(expected, str) and hmac.compare_digest(sent.encode(), expected.encode())


def _photo(upload: UploadFile | None) -> Photo | None:
    if upload is None or not upload.filename:
        return None
    if (upload.size or 0) > MAX_PHOTO_BYTES:
        raise InvalidInput(TOO_LARGE)
    content = upload.file.read(MAX_PHOTO_BYTES + 1)
    if len(content) > MAX_PHOTO_BYTES:
        raise InvalidInput(TOO_LARGE)
    kind = photo_kind(upload.content_type or "", upload.filename, content[:16])
    return Photo(upload.filename[:200], kind, content)


@router.post("/c/file", response_class=HTMLResponse)
def file_complaint(request: Request, address: AddressDep, now: Now, merchant_id: Annotated[MerchantId, Form()] = "",
                   amount: Field = "", when: Field = "", last4: Field = "",
                   description: Annotated[str, Form(max_length=4000)] = "", contact: Field = "",
                   website: Field = "", csrf_token: Field = "",
                   photo: Annotated[UploadFile | None, File()] = None) -> Response:
    """File a complaint; the thank-you page shows the tracking code once."""
    values = echoed({"amount": amount, "when": when, "last4": last4, "description": description, "contact": contact})
    db = database(request)
    with db.unit_of_work() as session:
        try:
            merchant = public_merchant(session, merchant_id)
        except RecoupError as missing:
            return _problem(request, error_words(request_locale(request), missing), missing.status)
    if not _same_form(request, csrf_token):
        return _form_page(request, merchant, values, translate(request_locale(request), EXPIRED), 403)
    if website.strip():  # a robot filled the hidden field: thank it, keep nothing
        return _thanks(request, merchant, new_tracking_code())
    try:
        with db.unit_of_work() as session:  # counted even when the complaint is then refused
            count_attempt(session, address, merchant.merchant_id, now, LIMITS)
        filing = PublicFiling(
            parse_facts(amount, when, last4, description, zone=merchant.timezone or settings(request).default_timezone),
            parse_contact(contact), _photo(photo), request_locale(request), f"{request.base_url}c/status")
        with db.unit_of_work() as session:
            filed = file_public(session, settings(request), merchant, filing, now)
    except RecoupError as refused:
        return _form_page(request, merchant, values, error_words(request_locale(request), refused), refused.status)
    return _thanks(request, merchant, filed.tracking_code)


def _thanks(request: Request, merchant: Merchant, code: str) -> HTMLResponse:
    return render(request, "complaints/public_thanks.html", user=None, merchant=merchant, code=code,
                  here=f"/c/{merchant.merchant_id}")


def _status_page(request: Request, code: str, now: datetime, error: str = "", status_code: int = 200) -> HTMLResponse:
    with database(request).unit_of_work() as session:
        try:
            complaint = find_by_code(session, code, now)
        except RecoupError as unknown:
            return _problem(request, error_words(request_locale(request), unknown), unknown.status)
        view = public_status(session, complaint)
    zone = view.timezone or settings(request).default_timezone  # the merchant's, named beside its times
    return render(request, "complaints/public_status.html", status_code=status_code, user=None, status=view,
                  code=code, error=error, zone=zone, here=f"/c/status/{code}")


@router.get("/c/status/{code}", response_class=HTMLResponse)
def status_page(code: Code, request: Request, now: Now, lang: LanguageTag = "") -> HTMLResponse:
    """The complaint's progress: its state, the answers, the dates; and the rating form once answered."""
    _choose_language(request, lang)
    return _status_page(request, code, now)


@router.post("/c/status/{code}/rate", response_class=HTMLResponse)
def rate_page(code: Code, request: Request, now: Now, rating: Field = "", comment: Annotated[str, Form(
              max_length=2000)] = "", csrf_token: Field = "") -> HTMLResponse:
    if not _same_form(request, csrf_token):
        return _status_page(request, code, now, translate(request_locale(request), EXPIRED), 403)
    try:
        stars = int(rating) if rating.strip().isdigit() and len(rating.strip()) < 3 else 0
        with database(request).unit_of_work() as session:
            rate(session, code, stars, comment, now)
    except RecoupError as refused:
        return _status_page(request, code, now, error_words(request_locale(request), refused), refused.status)
    return _status_page(request, code, now, "")
