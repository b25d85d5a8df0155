"""Queries about a case's recovery actions that other domains ask (cases asks before a hand resolution).

Reads only; the caller's transaction. The actions a case has are in recovery.models; which statuses still
wait for the money to move (pending, awaiting funds, instructed) is recovery.plans.IN_PROGRESS.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.recovery.models import RecoveryAction
from recoup.recovery.plans import IN_PROGRESS


def has_unconfirmed(session: Session, case_id: int) -> bool:
    """Whether a refund or collection of the case still waits (not yet confirmed, failed or cancelled)."""
    waiting = session.execute(select(RecoveryAction.id).where(
        RecoveryAction.case_id == case_id, RecoveryAction.status.in_(IN_PROGRESS)).limit(1)).first()
    return waiting is not None
