"""Deadlines that cannot be missed: the worker's daily pass over the disputes awaiting an answer.

A dispute past its due date (a day in the merchant's zone) is marked EXPIRED and reported; one due in
`ALERT_DAYS` days or less alerts its case's owner once per merchant day. One short transaction per
dispute, its case locked, so a pass never blocks the desk for long and a failure loses one dispute's turn.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from recoup.cases.repository import get_case_by_id
from recoup.cases.service import WORKER, raise_alert
from recoup.db import Database
from recoup.disputes.models import Dispute
from recoup.disputes.repository import merchant_day
from recoup.disputes.rules import DisputeState
from recoup.disputes.service import expire

ALERT_DAYS = 3


def dispute_pass(database: Database, now: datetime) -> int:
    """Expire the disputes past due and alert those due soon; returns how many were expired or alerted."""
    horizon = (now + timedelta(days=ALERT_DAYS + 1)).date()  # a day of slack for the merchants' zones
    with database.unit_of_work() as session:
        ids = list(session.execute(select(Dispute.id).where(
            Dispute.state == DisputeState.AWAITING_RESPONSE.value, Dispute.due_on <= horizon,
        ).order_by(Dispute.due_on, Dispute.id)).scalars())
    return sum(_visit(database, dispute_id, now) for dispute_id in ids)


def _visit(database: Database, dispute_id: int, now: datetime) -> int:
    with database.unit_of_work() as session:
        dispute = session.get(Dispute, dispute_id)
        if dispute is None:
            return 0
        case = get_case_by_id(session, dispute.case_id, lock=True)
        session.refresh(dispute)
        if dispute.state != DisputeState.AWAITING_RESPONSE.value:
            return 0
        today = merchant_day(session, dispute.merchant_id, now)
        if today > dispute.due_on:
            expire(session, WORKER, case, dispute, now)
            raise_alert(session, case, "dispute_expired",
                        f"dispute {dispute.id} ({dispute.scheme} {dispute.reason_code}) expired unanswered: "
                        f"it was due on {dispute.due_on}", now)
            return 1
        days_left = (dispute.due_on - today).days
        if days_left > ALERT_DAYS or dispute.alerted_on == today:
            return 0
        dispute.alerted_on = today
        raise_alert(session, case, "dispute_due",
                    f"dispute {dispute.id} ({dispute.scheme} {dispute.stage} {dispute.reason_code}) is due on "
                    f"{dispute.due_on}: {days_left} day(s) left", now)
        return 1
