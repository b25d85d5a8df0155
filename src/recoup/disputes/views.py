"""What the API, the pages and the CLI show of a dispute beyond its row: the submission builder and
what was submitted."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from recoup.disputes.deadlines import ALERT_DAYS
from recoup.disputes.models import Dispute
from recoup.disputes.submission import builder, submission_view, submissions_of


def due_soon_day(now: datetime) -> date:
    """The last due date that counts as due soon (3 days or less from today)."""
    return (now + timedelta(days=ALERT_DAYS)).date()


def detail_of(session: Session, dispute: Dispute, today: date) -> dict[str, object]:
    found = builder(session, dispute)
    return {
        "reason": {"code": found.reason.code, "label_zh": found.reason.label_zh, "label_en": found.reason.label_en},
        "days_left": (dispute.due_on - today).days,
        "called_for": found.called_for,
        "missing": found.missing,
        "evidence": [{"id": item.id, "kind": item.kind, "name": item.name, "sha256": item.sha256,
                      "size": item.size} for item in found.evidence],
        "submissions": [submission_view(sub, items) for sub, items in submissions_of(session, dispute)],
    }
