"""What crosses the API and the CLI about a complaint (never its tracking code or its sealed contact)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from recoup.bounds import MAX_DATABASE_ID
from recoup.complaints.models import Complaint
from recoup.complaints.repository import answers_of
from recoup.complaints.states import rung_name
from recoup.money import format_major


def _iso(value: object) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else None


def complaint_row(complaint: Complaint) -> dict[str, object]:
    return {
        "id": complaint.id, "code": complaint.code_prefix, "merchant_id": complaint.merchant_id,
        "against": complaint.against, "state": complaint.state, "rung": rung_name(complaint.escalation_level),
        "owner_role": complaint.owner_role, "deadline_at": _iso(complaint.deadline_at),
        "amount": format_major(complaint.amount_minor, complaint.currency) if complaint.amount_minor else None,
        "currency": complaint.currency, "occurred_at": _iso(complaint.occurred_at), "last4": complaint.last4,
        "terminal_id": complaint.terminal_id, "journal_id": complaint.journal_id, "case_id": complaint.case_id,
        "rating": complaint.rating, "filed_by": complaint.filed_by, "created_at": _iso(complaint.created_at),
        "closed_at": _iso(complaint.closed_at),
    }


def complaint_detail(session: Session, complaint: Complaint) -> dict[str, object]:
    return {
        **complaint_row(complaint), "description": complaint.description, "contact": complaint.contact_masked,
        "contact_kind": complaint.contact_kind, "rating_comment": complaint.rating_comment,
        "answered_at": _iso(complaint.answered_at),
        "answers": [{"at": row.at.isoformat(), "author": row.author, "text": row.text}
                    for row in answers_of(session, complaint.id)],
    }


class LinkIn(BaseModel):
    journal_id: Annotated[int, Field(ge=1, le=MAX_DATABASE_ID)]


class AnswerIn(BaseModel):
    text: Annotated[str, Field(min_length=1, max_length=4000)]


class CloseIn(BaseModel):
    note: Annotated[str, Field(max_length=4000)] = ""
