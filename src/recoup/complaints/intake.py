"""Filing a complaint (SPEC section 7): a payer on the public page, or a merchant's staff against the provider.

Services flush; the caller commits. The tracking code is returned once and never stored (its SHA-256
is); the contact is sealed; the slip photo goes to the evidence vault, attached to the complaint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.audit.service import Actor, record
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.complaints.models import Complaint
from recoup.complaints.notify import notify_new_complaint, send_tracking_link
from recoup.complaints.ports import EVIDENCE, function
from recoup.complaints.repository import deadline_policy
from recoup.complaints.rules import Contact, Facts, code_hash, new_tracking_code
from recoup.complaints.states import Against, ComplaintState, deadline_for, owner_role, starting_level
from recoup.config import Settings
from recoup.errors import NotFound
from recoup.keys.sealing import Sealer
from recoup.merchants.models import Merchant
from recoup.merchants.repository import get_merchant

PAYER = "payer"


@dataclass(frozen=True)
class Photo:
    """The slip photo as received (already checked by complaints.rules.photo_kind)."""

    name: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Filed:
    complaint: Complaint
    tracking_code: str  # shown once to the one who filed it


def public_merchant(session: Session, merchant_id: str) -> Merchant:
    """System scope: the merchant a receipt's QR code names (its name is all the public page shows)."""
    found = session.execute(select(Merchant).where(Merchant.merchant_id == merchant_id)).scalar_one_or_none()
    if found is None:
        raise NotFound("this complaint page does not exist: check the address printed on your receipt")
    return found


def contact_context(complaint: Complaint) -> str:
    return f"complaint:{complaint.code_hash}"


@dataclass(frozen=True)
class PublicFiling:
    """What the public page sends: the facts, how to reach the payer, the slip photo, the payer's language,
    and the address of the status pages (`{status_url}/{code}` is the payer's link)."""

    facts: Facts
    contact: Contact | None
    photo: Photo | None
    locale: str
    status_url: str


def file_public(session: Session, settings: Settings, merchant: Merchant, filing: PublicFiling,
                now: datetime) -> Filed:
    """A payer's complaint about `merchant`."""
    actor = Actor(PAYER, merchant.tenant_id, "public")
    filed = _create(session, settings, merchant, filing.facts, filing.contact, Against.MERCHANT, actor, now,
                    locale=filing.locale)
    if filing.photo is not None:
        _store_photo(session, settings, filed.complaint, filing.photo, actor.name, now)
    if filing.contact is not None:
        link = f"{filing.status_url}/{filed.tracking_code}"
        send_tracking_link(session, settings.keyring(), filed.complaint, filing.contact, link, now)
    return filed


def file_against_provider(session: Session, settings: Settings, principal: Principal, merchant_id: str,
                          facts: Facts, now: datetime) -> Filed:
    """A merchant's staff complaint about its provider (the same record, starting with provider support)."""
    principal.require(Permission.WORK_CASES)
    merchant = get_merchant(session, principal, merchant_id)
    return _create(session, settings, merchant, facts, None, Against.PROVIDER, principal.actor(), now)


def _create(session: Session, settings: Settings, merchant: Merchant, facts: Facts, contact: Contact | None,
            against: Against, actor: Actor, now: datetime, *, locale: str = "zh_CN") -> Filed:
    code = new_tracking_code()
    level = starting_level(against)
    complaint = Complaint(
        tenant_id=merchant.tenant_id, merchant_id=merchant.merchant_id, against=against.value,
        code_hash=code_hash(code), code_prefix=code[:6], amount_minor=facts.amount_minor, currency=facts.currency,
        occurred_at=facts.occurred_at, last4=facts.last4, terminal_id=facts.terminal_id,
        description=facts.description, state=ComplaintState.NEW.value, escalation_level=level,
        owner_role=owner_role(level), filed_by=actor.name, created_at=now, updated_at=now, locale=locale,
        deadline_at=deadline_for(ComplaintState.NEW, now, deadline_policy(session, merchant.tenant_id)),
    )
    if contact is not None:
        complaint.contact_kind, complaint.contact_masked = contact.kind, contact.masked
        complaint.contact_sealed = Sealer(settings.keyring()).seal(contact.value, contact_context(complaint))
    session.add(complaint)
    session.flush()
    record(session, actor, "complaint.file", "complaint", str(complaint.id), tenant_id=complaint.tenant_id, at=now,
           after={"merchant_id": complaint.merchant_id, "against": against.value, "code": complaint.code_prefix,
                  "amount_minor": complaint.amount_minor, "last4": complaint.last4,
                  "contact": complaint.contact_masked})
    notify_new_complaint(session, complaint, now)
    return Filed(complaint, code)


def _store_photo(session: Session, settings: Settings, complaint: Complaint, photo: Photo, who: str,
                 now: datetime) -> None:
    add_evidence = function(EVIDENCE, "add_evidence")
    add_evidence(session, settings, tenant_id=complaint.tenant_id, case_id=None, kind="slip",
                 name=photo.name or "slip", content=photo.content, added_by=who, now=now,
                 note="photo of the slip, sent with the complaint", complaint_id=complaint.id)
