"""What the staff pages show of complaints: rows of the inbox, a complaint's page, the case page's section.

Times are shown in the merchant's zone (Settings.default_timezone when it has none), money with the
page's `money()`, codes (states, rungs, roles) through the translation catalogue in the templates.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import segno
from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.auth.roles import Permission, may
from recoup.cases.models import Case
from recoup.complaints.linking import candidates
from recoup.complaints.models import Complaint
from recoup.complaints.ports import module
from recoup.complaints.repository import answers_of, complaints_of_case, get_complaint
from recoup.complaints.states import ComplaintState, rung_name
from recoup.errors import NotFound, RecoupError
from recoup.merchants.models import Merchant
from recoup.transactions.models import JournalLine
from recoup.web.i18n import translate

STATES = [state.value for state in ComplaintState]
DEFAULT_ZONE = "Asia/Shanghai"
Work = Callable[[int], object]


def local_time(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    try:
        return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
    except (ZoneInfoNotFoundError, ValueError):
        return moment.strftime("%Y-%m-%d %H:%M UTC")


def _zones(session: Session, merchant_ids: set[str]) -> dict[str, tuple[str, str]]:
    """merchant id -> (name, time zone)."""
    rows = session.execute(select(Merchant.merchant_id, Merchant.name, Merchant.timezone)
                           .where(Merchant.merchant_id.in_(sorted(merchant_ids)))).tuples()
    return {merchant_id: (name, zone or DEFAULT_ZONE) for merchant_id, name, zone in rows}


def row_view(complaint: Complaint, merchant: tuple[str, str], now: datetime) -> dict[str, object]:
    name, zone = merchant
    return {
        "id": complaint.id, "code": complaint.code_prefix, "state": complaint.state, "against": complaint.against,
        "rung": rung_name(complaint.escalation_level), "owner_role": complaint.owner_role,
        "escalated": complaint.escalated_deadline_at is not None, "merchant_id": complaint.merchant_id,
        "merchant_name": name, "amount_minor": complaint.amount_minor, "currency": complaint.currency,
        "deadline": local_time(complaint.deadline_at, zone), "filed": local_time(complaint.created_at, zone),
        "overdue": complaint.deadline_at is not None and complaint.deadline_at < now,
        "occurred": local_time(complaint.occurred_at, zone), "last4": complaint.last4, "zone": zone,
    }


def inbox_rows(session: Session, complaints: list[Complaint], now: datetime) -> list[dict[str, object]]:
    zones = _zones(session, {complaint.merchant_id for complaint in complaints})
    return [row_view(c, zones.get(c.merchant_id, ("", DEFAULT_ZONE)), now) for c in complaints]


def _line_view(line: JournalLine, zone: str) -> dict[str, object]:
    return {"id": line.id, "time": local_time(line.txn_time, zone), "terminal_id": line.terminal_id,
            "rrn": line.rrn, "amount_minor": line.amount_minor, "currency": line.currency,
            "card": line.card_masked or (f"**** {line.card_last4}" if line.card_last4 else ""),
            "txn_type": line.txn_type, "status": line.status}


def _photos(session: Session, complaint_id: int) -> list[dict[str, object]]:
    """The complaint's files in the evidence vault (names only; the vault serves them, audited)."""
    models = module("recoup.evidence.models")
    item = getattr(models, "EvidenceItem", None) if models is not None else None
    if item is None or not hasattr(item, "complaint_id"):
        return []
    rows = session.execute(select(item).where(item.complaint_id == complaint_id).order_by(item.id)).scalars()
    return [{"id": row.id, "name": getattr(row, "name", ""), "case_id": getattr(row, "case_id", None)}
            for row in rows]


def photo_item(session: Session, principal: Principal, complaint_id: int, item_id: int) -> Any:
    """One of the complaint's files (NotFound for anything else, whatever exists)."""
    complaint = get_complaint(session, principal, complaint_id)
    models = module("recoup.evidence.models")
    item = getattr(models, "EvidenceItem", None) if models is not None else None
    found = None
    if item is not None and hasattr(item, "complaint_id"):
        found = session.execute(select(item).where(item.id == item_id, item.complaint_id == complaint.id,
                                                   item.tenant_id == complaint.tenant_id)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no file {item_id} of complaint {complaint_id}")
    return found


def detail(session: Session, principal: Principal, complaint_id: int, now: datetime) -> dict[str, object]:
    complaint = get_complaint(session, principal, complaint_id)
    zone = _zones(session, {complaint.merchant_id}).get(complaint.merchant_id, ("", DEFAULT_ZONE))
    linked = session.get(JournalLine, complaint.journal_id) if complaint.journal_id else None
    case = session.get(Case, complaint.case_id) if complaint.case_id else None
    working = may(principal.role, Permission.WORK_CASES) and complaint.state != ComplaintState.CLOSED.value
    return {
        "complaint": complaint, "row": row_view(complaint, zone, now), "description": complaint.description,
        "contact": complaint.contact_masked, "contact_kind": complaint.contact_kind,
        "candidates": [_line_view(line, zone[1]) for line in candidates(session, principal, complaint)],
        "linked": _line_view(linked, zone[1]) if linked else None, "case": case, "working": working,
        "answers": [{"at": local_time(row.at, zone[1]), "author": row.author, "text": row.text}
                    for row in answers_of(session, complaint.id)],
        "rated_at": local_time(complaint.rated_at, zone[1]), "photos": _photos(session, complaint.id),
    }


def case_section(session: Session, principal: Principal, case: Case) -> dict[str, object]:
    found = complaints_of_case(session, principal, case.id)
    return {"complaints": [{"id": c.id, "code": c.code_prefix, "state": c.state, "rating": c.rating}
                           for c in found]}


def qr_svg(url: str) -> str:
    """The QR code of a URL as an inline <svg>, drawn like the payment page's (segno; an EMV payload's
    renderer, recoup.recovery.emvqr.render_svg, refuses anything but an EMV payload)."""
    return str(segno.make(url, error="m", micro=False).svg_inline(scale=8, title="QR"))


def error_words(locale: str, error: RecoupError) -> str:
    """A refusal in the user's language: the vault's refusals carry their msgid and values; ours are msgids."""
    refusal = getattr(error, "refusal", None)
    message, values = getattr(refusal, "message", None), getattr(refusal, "values", None)
    if isinstance(message, str) and isinstance(values, dict):
        try:
            return translate(locale, message).format(**values)
        except (KeyError, IndexError):
            return error.message
    return translate(locale, error.message)
