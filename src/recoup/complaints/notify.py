"""Messages about a complaint: the payer's tracking link, staff answers, and staff told of a new complaint.

Every message goes through the outbox (recoup.messaging.outbox) in the caller's transaction, so it is
sent once the change that caused it is committed, and never twice. Texts are English msgids of the UI
catalogues, sent in the payer's language.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from recoup.audit.service import SYSTEM, record
from recoup.complaints.models import Complaint
from recoup.complaints.ports import OUTBOX, available, function
from recoup.complaints.rules import Contact
from recoup.keys.ring import KeyRing
from recoup.web.i18n import translate

log = logging.getLogger("recoup.complaints")
TRACKING_SUBJECT = "Your complaint has been received"
TRACKING_BODY = "We have received your complaint. Follow its progress here: {link}"
ANSWER_SUBJECT = "An answer to your complaint"
ANSWER_BODY = "{text}\n\nThe progress of your complaint is on the page whose link we sent you."
NEW_COMPLAINT = "A new complaint was filed for merchant {merchant}: answer it by {deadline} UTC"


def _enqueue(session: Session, keys: KeyRing, complaint: Complaint, contact: Contact, subject: str, body: str,
             now: datetime, purpose: str) -> bool:
    if not available(OUTBOX, "enqueue"):
        log.warning("complaint %s: no outbox yet, the %s message was not queued", complaint.id, purpose)
        return False
    enqueue = function(OUTBOX, "enqueue")
    enqueue(session, tenant_id=complaint.tenant_id, channel=contact.kind, to=contact.value, subject=subject,
            body=body, now=now, case_id=complaint.case_id, complaint_id=complaint.id, purpose=purpose,
            dedupe_key=f"complaint:{complaint.id}:{purpose}:{now.isoformat()}", keys=keys)
    return True


def send_tracking_link(session: Session, keys: KeyRing, complaint: Complaint, contact: Contact, link: str,
                       now: datetime) -> bool:
    locale = complaint.locale
    body = translate(locale, TRACKING_BODY).format(link=link)
    return _enqueue(session, keys, complaint, contact, translate(locale, TRACKING_SUBJECT), body, now,
                    "complaint_tracking")


def send_answer(session: Session, keys: KeyRing, complaint: Complaint, contact: Contact, text: str,
                now: datetime) -> bool:
    locale = complaint.locale
    body = translate(locale, ANSWER_BODY).format(text=text)
    return _enqueue(session, keys, complaint, contact, translate(locale, ANSWER_SUBJECT), body, now,
                    "complaint_answer")


def notify_new_complaint(session: Session, complaint: Complaint, now: datetime) -> None:
    """Staff of the merchant are told: an alert in their list (and by e-mail), and an entry on the audit trail."""
    from recoup.messaging.alerts import raise_complaint_alert  # messaging builds on cases: imported when used

    deadline = complaint.deadline_at.strftime("%Y-%m-%d %H:%M") if complaint.deadline_at else "-"
    message = NEW_COMPLAINT.format(merchant=complaint.merchant_id, deadline=deadline)
    raise_complaint_alert(session, tenant_id=complaint.tenant_id, complaint_id=complaint.id,
                          merchant_id=complaint.merchant_id, owner_role=complaint.owner_role, kind="NEW_COMPLAINT",
                          message=message, now=now)
    record(session, SYSTEM, "complaint.alert", "complaint", str(complaint.id), tenant_id=complaint.tenant_id,
           after={"kind": "NEW_COMPLAINT", "owner_role": complaint.owner_role, "merchant_id": complaint.merchant_id},
           note=message, at=now)
