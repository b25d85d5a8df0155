"""REST routes of the messaging domain (mounted under /api/v1): a case's messages, templates, alerts."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from recoup.cases.api import ApiActor
from recoup.cases.recording import audited
from recoup.messaging.alerts import alerts_for, mark_read, unread_count
from recoup.messaging.schemas import AlertsReadIn, MessageIn, TemplateIn
from recoup.messaging.service import MessageRequest, message_row, messages_of, replayed, send_message
from recoup.messaging.templates import list_templates, save_template
from recoup.recovery.api import REPLAYED_HEADER, IdempotencyHeader
from recoup.web.deps import ApiUser, Now, SessionDep, SettingsDep, database
from recoup.web.params import CaseReference

router = APIRouter(tags=["messaging"])


@router.post("/cases/{case_id}/messages", status_code=201)
def send(case_id: CaseReference, body: MessageIn, request: Request, response: Response, principal: ApiActor,
         settings: SettingsDep, now: Now, idempotency_key: IdempotencyHeader = None) -> dict[str, object]:
    """Queue a message to the case's customer from a template; the worker sends it (e-mail or SMS).
    The same Idempotency-Key again returns the first message and queues nothing."""
    message_request = MessageRequest(body.template, body.channel, body.to, body.language)
    with audited(database(request), principal, "message.queue", case_id, body.model_dump(exclude={"to"})) as session:
        if replayed(session, principal, idempotency_key) is not None:
            response.headers[REPLAYED_HEADER] = "true"
        message = send_message(session, principal, settings, case_id, message_request, now, idempotency_key)
        return message_row(message)


@router.get("/cases/{case_id}/messages")
def case_messages(case_id: CaseReference, principal: ApiUser, session: SessionDep) -> list[dict[str, object]]:
    """The case's messages with their state, attempts and last error (addresses masked)."""
    return [message_row(message) for message in messages_of(session, principal, case_id)]


@router.get("/message-templates")
def templates(principal: ApiUser, session: SessionDep) -> list[dict[str, object]]:
    """Your organisation's message templates in both languages (defaults or the admin's wording)."""
    return list_templates(session, principal)


@router.put("/message-templates/{key}/{locale}")
def put_template(key: str, locale: str, body: TemplateIn, principal: ApiUser, session: SessionDep,
                 now: Now) -> dict[str, object]:
    """Change one template (admin); one naming an unknown placeholder is refused with its name."""
    row = save_template(session, principal, key[:40], locale[:10], body.subject, body.body, now)
    return {"key": row.key, "locale": row.locale, "subject": row.subject, "body": row.body, "customised": True}


@router.get("/alerts")
def alerts(principal: ApiUser, session: SessionDep) -> dict[str, object]:
    """Your alerts (newest first) and how many are unread."""
    rows = [{"id": a.id, "case": a.case_number or None, "complaint": a.complaint_id, "kind": a.kind,
             "message": a.message, "at": a.at.isoformat(),
             "read": a.read} for a in alerts_for(session, principal)]
    return {"unread": unread_count(session, principal), "alerts": rows}


@router.post("/alerts/read")
def read_alerts(body: AlertsReadIn, principal: ApiUser, session: SessionDep, now: Now) -> dict[str, int]:
    """Mark your alerts read (the ids given, or all)."""
    return {"marked": mark_read(session, principal, body.ids, now)}
