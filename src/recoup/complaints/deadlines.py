"""The worker's complaint pass: a complaint past its deadline escalates (SPEC section 2 step 11, section 5).

Each due complaint is handled in a transaction of its own, under its row lock, and asked again whether it
is still due (another worker, or a staff answer, may have come first): it escalates once per deadline.
Escalating moves it up the case ladder's first rungs (merchant -> provider support -> acquirer), gives
the new owners `first_answer_days` from now, alerts them, and notes it on the complaint's case.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.audit.service import Actor, record
from recoup.cases.models import Case
from recoup.complaints.models import Complaint
from recoup.complaints.repository import deadline_policy, due_complaint_ids
from recoup.complaints.states import ComplaintState, escalated, escalation_due, rung_name
from recoup.db import Database, exclusive

WORKER = Actor("worker", None, "worker")
OVERDUE = "Complaint #{id} is past its deadline: escalated to {rung}"
OVERDUE_AT_TOP = "Complaint #{id} is past its deadline at the last rung ({rung})"


def complaint_pass(database: Database, now: datetime) -> int:
    """Escalate every complaint past its deadline; how many were escalated (or alerted at the top rung)."""
    with database.unit_of_work() as session:
        due = due_complaint_ids(session, now)
    done = 0
    for complaint_id in due:
        with database.unit_of_work() as session:
            exclusive(session)
            complaint = session.execute(select(Complaint).where(Complaint.id == complaint_id)
                                        .with_for_update()).scalar_one()
            if escalate_one(session, complaint, now):
                done += 1
    return done


def escalate_one(session: Session, complaint: Complaint, now: datetime) -> bool:
    state = ComplaintState(complaint.state)
    if not escalation_due(state, complaint.deadline_at, complaint.escalated_deadline_at, now):
        return False
    assert complaint.deadline_at is not None  # escalation_due says so
    step = escalated(complaint.escalation_level, now, deadline_policy(session, complaint.tenant_id),
                     complaint.deadline_at)
    before = {"level": complaint.escalation_level, "owner_role": complaint.owner_role,
              "deadline_at": complaint.deadline_at.isoformat()}
    complaint.escalation_level, complaint.owner_role = step.level, step.owner_role
    complaint.escalated_deadline_at = complaint.deadline_at  # this deadline is dealt with
    complaint.deadline_at = step.deadline_at  # the next rung's (the same at the top: nothing more is due)
    complaint.updated_at = now
    session.flush()
    message = (OVERDUE if step.moved else OVERDUE_AT_TOP).format(id=complaint.id, rung=rung_name(step.level))
    record(session, WORKER, "complaint.escalate", "complaint", str(complaint.id), tenant_id=complaint.tenant_id,
           before=before, after={"level": step.level, "owner_role": step.owner_role, "kind": "COMPLAINT_OVERDUE",
                                 "deadline_at": step.deadline_at.isoformat()}, note=message, at=now)
    case = session.get(Case, complaint.case_id) if complaint.case_id is not None else None
    if case is not None:
        from recoup.cases.service import raise_alert

        raise_alert(session, case, "COMPLAINT_OVERDUE", message, now)
    else:  # no case yet: the complaint's own alert, to the rung it escalated to
        from recoup.messaging.alerts import raise_complaint_alert

        raise_complaint_alert(session, tenant_id=complaint.tenant_id, complaint_id=complaint.id,
                              merchant_id=complaint.merchant_id, owner_role=complaint.owner_role,
                              kind="COMPLAINT_OVERDUE", message=message, now=now)
    return True
