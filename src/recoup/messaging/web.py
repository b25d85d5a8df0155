"""Pages of the messaging domain: the case page's messages section (send, preview), the alert list.

The templates admin page is messaging.templates_web, the payer's reply page messaging.public_web;
all three add their routes to messaging.web_router.router, which app.py mounts as this module's `router`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session

from recoup.auth.roles import Permission, may
from recoup.cases.models import Case
from recoup.cases.page_view import CasePage
from recoup.cases.recording import audited
from recoup.cases.web import WebActor
from recoup.config import get_settings
from recoup.errors import RecoupError
from recoup.merchants.models import Merchant
from recoup.messaging.alerts import alerts_for, mark_read
from recoup.messaging.models import OutboxMessage
from recoup.messaging.rules import TEMPLATE_KEYS, Channel, mask
from recoup.messaging.service import MessageRequest, address_of, order_contact, preview_message, send_message
from recoup.messaging.web_router import router as router
from recoup.web.csrf import check_csrf
from recoup.web.deps import Now, SessionDep, SettingsDep, WebUser, database
from recoup.web.formatting import format_when
from recoup.web.params import CaseReference
from recoup.web.templating import render

log = logging.getLogger("recoup.messaging")
Short = Annotated[str, Form(max_length=40)]
Address = Annotated[str, Form(max_length=254)]


def zone_of(merchant: Merchant | None) -> ZoneInfo:
    """The merchant's time zone (the configured default when it has none)."""
    return ZoneInfo((merchant.timezone if merchant is not None else "") or get_settings().default_timezone)


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    return format_when(moment, zone.key, labelled=False)


def _row(message: OutboxMessage, zone: ZoneInfo) -> dict[str, object]:
    return {"id": message.id, "template": message.template_key, "channel": message.channel, "to": message.to_masked,
            "subject": message.subject, "state": message.state, "attempts": message.attempts,
            "last_error": message.last_error, "queued_at": _when(message.created_at, zone),
            "sent_at": _when(message.sent_at, zone),
            "next_attempt_at": _when(message.next_attempt_at, zone) if message.state == "FAILED" else ""}


def _contacts(session: Session, case: Case) -> dict[str, str]:
    """The order's contact, masked, per channel ("" when the order has none of that kind): the order read once."""
    try:
        contact = order_contact(session, case, get_settings())
        return {channel.value: mask(found) for channel in Channel if (found := address_of(contact, channel))}
    except RecoupError as error:  # the key file cannot be read: the form asks for the address
        log.warning("order contact of %s not shown: %s", case.number, error.message)
        return {}


# The case's messages to its customer, newest first (alerts e-mailed to staff are not theirs); built once.
_MESSAGES = (select(OutboxMessage)
             .where(OutboxMessage.case_id == bindparam("case_id"), OutboxMessage.purpose != "alert")
             .order_by(OutboxMessage.id.desc()))
# Whether the case has any of them: asked with the case page's other reads (cases.schemas.read_case's `more`).
CASE_PAGE_HAS = ("messages", exists().where(OutboxMessage.case_id == bindparam("case_id"),
                                            OutboxMessage.purpose != "alert"))


def case_section(session: Session, page: CasePage) -> dict[str, object]:
    """What templates/messaging/_case_section.html shows on the case page (cases.web.case_page calls it)."""
    case, zone = page.case, zone_of(page.merchant)
    has_any = page.reads.has.get("messages", True)
    messages: Iterable[OutboxMessage] = session.execute(_MESSAGES, {"case_id": case.id}).scalars() if has_any else []
    return {"messages": [_row(message, zone) for message in messages], "templates": list(TEMPLATE_KEYS),
            "contacts": _contacts(session, case), "can_send": may(page.principal.role, Permission.WORK_CASES)}


@router.post("/cases/{case_id}/messages/preview", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def preview_page(case_id: CaseReference, request: Request, principal: WebUser, session: SessionDep,
                 settings: SettingsDep, template: Short = "apology", channel: Short = "email", to: Address = "",
                 language: Short = "zh_CN") -> HTMLResponse:
    chosen = MessageRequest(template, channel, to, language)
    draft = preview_message(session, principal, settings, case_id, chosen)
    return render(request, "messaging/preview.html", user=principal, case_number=case_id, draft=draft,
                  form={"template": template, "channel": channel, "to": to, "language": language})


@router.post("/cases/{case_id}/messages", dependencies=[Depends(check_csrf)])
def send_page(case_id: CaseReference, request: Request, principal: WebActor, settings: SettingsDep, now: Now,
              template: Short = "apology", channel: Short = "email", to: Address = "", language: Short = "zh_CN",
              idempotency_key: Annotated[str, Form(max_length=120)] = "") -> Response:
    chosen = MessageRequest(template, channel, to, language)
    attempt: dict[str, object] = {"template": template, "channel": channel}
    with audited(database(request), principal, "message.queue", case_id, attempt) as session:
        send_message(session, principal, settings, case_id, chosen, now, idempotency_key or None)
    return RedirectResponse(f"/cases/{case_id}#messages", status_code=303)


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, principal: WebUser, session: SessionDep) -> HTMLResponse:
    zone = ZoneInfo(get_settings().default_timezone)
    rows = [{"id": a.id, "case": a.case_number, "complaint": a.complaint_id, "kind": a.kind, "message": a.message,
             "at": _when(a.at, zone),
             "read": a.read} for a in alerts_for(session, principal)]
    return render(request, "messaging/alerts.html", user=principal, alerts=rows)


@router.post("/alerts/read", dependencies=[Depends(check_csrf)])
def read_page(principal: WebUser, session: SessionDep, now: Now,
              alert_id: Annotated[int | None, Form(ge=1, le=2**62)] = None) -> Response:
    mark_read(session, principal, [alert_id] if alert_id is not None else None, now)
    return RedirectResponse("/alerts", status_code=303)


# The other pages of the domain register on the same router when imported.
import recoup.messaging.public_web  # noqa: E402
import recoup.messaging.templates_web  # noqa: E402, F401
