"""Complaint queries, always within the caller's tenant and merchants (another's complaint is NotFound)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.auth.scoping import scoped
from recoup.complaints.models import Complaint, ComplaintAnswer, ComplaintSetting
from recoup.complaints.rules import code_hash
from recoup.complaints.states import DeadlinePolicy
from recoup.db import exclusive
from recoup.errors import NotFound

PAGE_SIZE = 50


def scoped_complaints(principal: Principal) -> Select[Complaint]:
    return scoped(Complaint, principal)


def get_complaint(session: Session, principal: Principal, complaint_id: int, *, lock: bool = False) -> Complaint:
    query = scoped_complaints(principal).where(Complaint.id == complaint_id)
    if lock:
        exclusive(session)
        query = query.with_for_update()
    found = session.execute(query).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no complaint {complaint_id}")
    return found


def list_complaints(session: Session, principal: Principal, *, state: str | None = None,
                    merchant_id: str | None = None, overdue_at: datetime | None = None, offset: int = 0,
                    limit: int = PAGE_SIZE) -> tuple[list[Complaint], int]:
    """One page of the caller's complaints, the soonest deadline first; and how many there are in all."""
    query = scoped_complaints(principal)
    if state:
        query = query.where(Complaint.state == state.upper())
    if merchant_id:
        query = query.where(Complaint.merchant_id == merchant_id)
    if overdue_at is not None:
        query = query.where(Complaint.deadline_at < overdue_at)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    ordered = query.order_by(Complaint.deadline_at.is_(None), Complaint.deadline_at, Complaint.id)
    return list(session.execute(ordered.offset(offset).limit(limit)).scalars()), int(total)


def by_code(session: Session, code: str) -> Complaint | None:
    """System scope (the public status page): the complaint whose tracking code this is."""
    return session.execute(select(Complaint).where(Complaint.code_hash == code_hash(code))).scalar_one_or_none()


def answers_of(session: Session, complaint_id: int) -> list[ComplaintAnswer]:
    return list(session.execute(select(ComplaintAnswer).where(ComplaintAnswer.complaint_id == complaint_id)
                                .order_by(ComplaintAnswer.at, ComplaintAnswer.id)).scalars())


def complaints_of_case(session: Session, principal: Principal, case_id: int) -> list[Complaint]:
    return list(session.execute(scoped_complaints(principal).where(Complaint.case_id == case_id)
                                .order_by(Complaint.id)).scalars())


def deadline_policy(session: Session, tenant_id: int) -> DeadlinePolicy:
    row = session.get(ComplaintSetting, tenant_id)
    return DeadlinePolicy(row.first_answer_days, row.close_days) if row else DeadlinePolicy()


def due_complaint_ids(session: Session, now: datetime) -> list[int]:
    """System scope (the worker): open complaints past their deadline, not yet escalated for it."""
    query = select(Complaint.id).where(Complaint.state != "CLOSED", Complaint.deadline_at < now,
                                       (Complaint.escalated_deadline_at.is_(None))
                                       | (Complaint.escalated_deadline_at != Complaint.deadline_at))
    return list(session.execute(query.order_by(Complaint.id)).scalars())


def complaint_id_of(reference: str) -> int:
    """A complaint's id as an address names it ("42" or "#42"); anything else names no complaint."""
    text = reference.strip().removeprefix("#")
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise NotFound(f"no complaint {reference[:20]!r}")
    return int(text)
