"""The payer's reply page, /r/<token> (no account): the message sent, and a form for text and photos.

Only the case number and the message are shown. A forged or expired link gets a clear page in the
reader's language (never a 500); the form carries a CSRF token and a honeypot field, and replies are
limited per address (messaging.replies). Its body is capped at what its photos and text may take
(web.limits' BODY_LIMIT), far below an import's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from recoup.errors import RecoupError
from recoup.messaging.replies import MAX_PHOTO_BYTES, MAX_PHOTOS, Photo, receive_reply, reply_page
from recoup.messaging.web_router import router
from recoup.messaging.words import refusal_words
from recoup.web.csrf import check_csrf
from recoup.web.deps import AddressDep, Now, SettingsDep, database
from recoup.web.limits import BODY_LIMIT
from recoup.web.templating import render, request_locale


def _refused(request: Request, error: RecoupError) -> HTMLResponse:
    return render(request, "messaging/reply_refused.html", status_code=error.status, user=None,
                  message=refusal_words(request_locale(request), error))


def _show(request: Request, token: str, now: datetime, sent: bool = False, error: str = "",
          status: int = 200) -> HTMLResponse:
    try:
        with database(request).unit_of_work() as session:
            page = reply_page(session, token[:200], now)
    except RecoupError as refused:
        return _refused(request, refused)
    return render(request, "messaging/reply.html", status_code=status, user=None, page=page, token=token,
                  sent=sent, error=error, max_photos=MAX_PHOTOS)


@router.get("/r/{token}", response_class=HTMLResponse)
def reply_form(token: str, request: Request, now: Now, sent: int = 0) -> HTMLResponse:
    return _show(request, token, now, sent=bool(sent))


@router.post("/r/{token}", dependencies=[Depends(check_csrf)],
             openapi_extra={BODY_LIMIT: MAX_PHOTOS * MAX_PHOTO_BYTES + (1 << 20)})  # the photos and the text
async def reply_post(token: str, request: Request, settings: SettingsDep, now: Now, address: AddressDep,
                     text: Annotated[str, Form(max_length=8000)] = "",
                     website: Annotated[str, Form(max_length=200)] = "") -> Response:
    if website:  # the honeypot: a person never fills it; a robot is thanked and nothing is kept
        return RedirectResponse(f"/r/{token[:200]}?sent=1", status_code=303)
    form = await request.form()  # parsed once already (the CSRF check); its size capped by web.limits
    chosen = [part for part in form.getlist("photos") if isinstance(part, UploadFile) and part.filename]
    if len(chosen) > MAX_PHOTOS:
        too_many = RecoupError("at most {count} photos", detail={"reason": "at most {count} photos",
                                                                 "values": {"count": MAX_PHOTOS}})
        return _show(request, token, now, error=refusal_words(request_locale(request), too_many), status=422)
    received = [Photo(photo.filename or "photo", await photo.read(MAX_PHOTO_BYTES + 1)) for photo in chosen]
    try:
        with database(request).unit_of_work() as session:
            receive_reply(session, settings, token[:200], text, received, address, now)
    except RecoupError as error:
        if error.status in (404, 410):
            return _refused(request, error)
        return _show(request, token, now, error=refusal_words(request_locale(request), error), status=error.status)
    return RedirectResponse(f"/r/{token[:200]}?sent=1", status_code=303)
