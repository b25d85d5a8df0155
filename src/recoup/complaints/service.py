"""Staff answer and close complaints; the payer follows one by its tracking code and rates it.

Services flush; the caller commits. Every change is audited, and put on the case's timeline when the
complaint has a case. The public view (`public_status`) holds the complaint's own progress and the
merchant's name, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from recoup.audit.service import Actor, record
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.cases.models import Case
from recoup.cases.recording import add_event
from recoup.complaints.intake import PAYER, contact_context
from recoup.complaints.models import Complaint, ComplaintAnswer, ComplaintSetting
from recoup.complaints.notify import send_answer
from recoup.complaints.repository import answers_of, by_code, deadline_policy, get_complaint
from recoup.complaints.rules import CODE_LIFETIME, Contact, looks_like_code
from recoup.complaints.states import (
    ComplaintEvent,
    ComplaintState,
    DeadlinePolicy,
    check_rating,
    deadline_for,
    next_state,
)
from recoup.config import Settings
from recoup.errors import InvalidInput, NotFound
from recoup.keys.sealing import Sealer
from recoup.merchants.models import Merchant
from recoup.transactions.pan_guard import mask_pans

MAX_TEXT = 4000


class UnknownCode(NotFound):
    """A tracking code that names no complaint (mistyped or forged)."""


class ExpiredCode(NotFound):
    status = 410


def _text(value: str, what: str) -> str:
    text = mask_pans(value.strip())
    if not text:
        raise InvalidInput(f"{what}: write something")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"{what}: at most {MAX_TEXT} characters")
    return text


def _changed(session: Session, complaint: Complaint, event: ComplaintEvent, now: datetime) -> str:
    before = complaint.state
    state = next_state(ComplaintState(before), event)
    complaint.state = state.value
    complaint.deadline_at = deadline_for(state, complaint.created_at, deadline_policy(session, complaint.tenant_id))
    complaint.updated_at = now
    return before


def _on_case(session: Session, complaint: Complaint, who: str, event: str, note: str, now: datetime) -> None:
    case = session.get(Case, complaint.case_id) if complaint.case_id is not None else None
    if case is not None:
        add_event(session, case, who, event, note[:500], data={"complaint_id": complaint.id}, now=now)


def open_contact(settings: Settings, complaint: Complaint) -> Contact | None:
    if not complaint.contact_sealed or not complaint.contact_kind:
        return None
    value = Sealer(settings.keyring()).open(complaint.contact_sealed, contact_context(complaint))
    return Contact(complaint.contact_kind, value, complaint.contact_masked) if value else None


def answer(session: Session, settings: Settings, principal: Principal, complaint_id: int, text: str,
           now: datetime) -> ComplaintAnswer:
    """Tell the payer something: shown on the status page, and sent to their contact when they left one."""
    principal.require(Permission.WORK_CASES)
    words = _text(text, "the answer")
    complaint = get_complaint(session, principal, complaint_id, lock=True)
    before = _changed(session, complaint, ComplaintEvent.ANSWER, now)
    complaint.answered_at = complaint.answered_at or now
    row = ComplaintAnswer(tenant_id=complaint.tenant_id, complaint_id=complaint.id, at=now,
                          author=principal.username, text=words)
    session.add(row)
    session.flush()
    contact = open_contact(settings, complaint)
    sent = send_answer(session, settings.keyring(), complaint, contact, words, now) if contact is not None else False
    record(session, principal.actor(), "complaint.answer", "complaint", str(complaint.id),
           tenant_id=complaint.tenant_id, before={"state": before},
           after={"state": complaint.state, "sent_to": complaint.contact_masked if sent else ""}, note=words[:200],
           at=now)
    _on_case(session, complaint, principal.username, "complaint_answered", words, now)
    return row


def close(session: Session, principal: Principal, complaint_id: int, note: str, now: datetime) -> Complaint:
    principal.require(Permission.WORK_CASES)
    complaint = get_complaint(session, principal, complaint_id, lock=True)
    before = _changed(session, complaint, ComplaintEvent.CLOSE, now)
    complaint.closed_at = now
    session.flush()
    text = mask_pans(note.strip())[:MAX_TEXT]
    record(session, principal.actor(), "complaint.close", "complaint", str(complaint.id),
           tenant_id=complaint.tenant_id, before={"state": before}, after={"state": complaint.state}, note=text,
           at=now)
    _on_case(session, complaint, principal.username, "complaint_closed", text, now)
    return complaint


def find_by_code(session: Session, code: str, now: datetime, *, lock: bool = False) -> Complaint:
    """The complaint of a tracking code; a forged or mistyped code, or one expired, is refused clearly."""
    complaint = by_code(session, code) if looks_like_code(code) else None
    if complaint is None:
        raise UnknownCode("no complaint has this tracking code: check the link you were given")
    if complaint.closed_at is not None and now > complaint.closed_at + CODE_LIFETIME:
        raise ExpiredCode("this tracking code has expired: the complaint was closed long ago")
    if lock:
        session.refresh(complaint, with_for_update=True)
    return complaint


def rate(session: Session, code: str, rating: int, comment: str, now: datetime) -> Complaint:
    """The payer's satisfaction, 1 to 5, given once on the status page."""
    complaint = find_by_code(session, code, now, lock=True)
    check_rating(ComplaintState(complaint.state), complaint.rating is not None, rating)
    complaint.rating, complaint.rated_at = rating, now
    complaint.rating_comment = mask_pans(comment.strip())[:MAX_TEXT]
    complaint.updated_at = now
    session.flush()
    record(session, Actor(PAYER, complaint.tenant_id, "public"), "complaint.rate", "complaint", str(complaint.id),
           tenant_id=complaint.tenant_id, after={"rating": rating}, note=complaint.rating_comment[:200], at=now)
    _on_case(session, complaint, PAYER, "complaint_rated", f"{rating}/5", now)
    return complaint


@dataclass(frozen=True)
class PublicStatus:
    """All the status page may show: the complaint's own progress and its merchant's name."""

    code_prefix: str
    merchant_name: str
    state: str
    filed_at: datetime
    answered_at: datetime | None
    closed_at: datetime | None
    answers: list[tuple[datetime, str]]
    rating: int | None
    may_rate: bool
    timezone: str  # the merchant's IANA zone; "" when it has none


def public_status(session: Session, complaint: Complaint) -> PublicStatus:
    merchant = session.get(Merchant, complaint.merchant_id)
    state = ComplaintState(complaint.state)
    return PublicStatus(
        code_prefix=complaint.code_prefix, merchant_name=merchant.name if merchant else "", state=state.value,
        filed_at=complaint.created_at, answered_at=complaint.answered_at, closed_at=complaint.closed_at,
        answers=[(row.at, row.text) for row in answers_of(session, complaint.id)], rating=complaint.rating,
        may_rate=complaint.rating is None and state in (ComplaintState.ANSWERED, ComplaintState.CLOSED),
        timezone=merchant.timezone if merchant else "",  # none: the page uses Settings.default_timezone
    )


def set_deadlines(session: Session, principal: Principal, policy: DeadlinePolicy, now: datetime) -> ComplaintSetting:
    """The tenant's complaint deadlines from now on (complaints filed before keep theirs)."""
    principal.require(Permission.MANAGE_MERCHANTS)
    row = session.get(ComplaintSetting, principal.tenant_id)
    before: dict[str, object] | None = (
        {"first_answer_days": row.first_answer_days, "close_days": row.close_days} if row else None)
    if row is None:
        row = ComplaintSetting(tenant_id=principal.tenant_id, first_answer_days=0, close_days=0,
                               updated_by=principal.username)
        session.add(row)
    row.first_answer_days, row.close_days = policy.first_answer_days, policy.close_days
    row.updated_by, row.updated_at = principal.username, now
    session.flush()
    record(session, principal.actor(), "complaint.deadlines", "tenant", str(principal.tenant_id),
           tenant_id=principal.tenant_id, before=before,
           after={"first_answer_days": policy.first_answer_days, "close_days": policy.close_days}, at=now)
    return row
