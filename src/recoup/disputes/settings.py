"""A tenant's dispute settings, changed by an admin: its schemes (and their chargeback fee) and its
reason codes. Deadlines are the tenant's ladder settings (`PUT /api/v1/ladder`, `recoup case ladder`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from recoup.audit.service import record
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.disputes.models import ReasonCode, SchemeRule
from recoup.disputes.repository import reason_codes, schemes_of
from recoup.errors import InvalidInput
from recoup.evidence.rules import UPLOAD_KINDS
from recoup.money import parse_minor

_NAME = re.compile(r"^[A-Z][A-Z0-9_]{1,19}$")
_CODE = re.compile(r"^[0-9A-Za-z.]{1,12}$")


def set_scheme(session: Session, principal: Principal, scheme: str, fee: str, now: datetime) -> SchemeRule:
    """Add a scheme the tenant handles, or change its chargeback fee (major units, CNY)."""
    principal.require(Permission.MANAGE_MERCHANTS)
    name = scheme.strip().upper()
    if not _NAME.match(name):
        raise InvalidInput(f"a scheme name has 2 to 20 letters, digits or _, not {scheme!r}")
    fee_minor = parse_minor(fee or "0", "CNY")
    found = next((rule for rule in schemes_of(session, principal.tenant_id) if rule.scheme == name), None)
    before: dict[str, object] | None = {"fee_minor": found.chargeback_fee_minor} if found else None
    if found is None:
        found = SchemeRule(tenant_id=principal.tenant_id, scheme=name, chargeback_fee_minor=fee_minor)
        session.add(found)
    found.chargeback_fee_minor = fee_minor
    session.flush()
    record(session, principal.actor(), "dispute.scheme.set", "dispute_scheme", name, before=before,
           after={"fee_minor": fee_minor}, at=now)
    return found


def set_reason(session: Session, principal: Principal, scheme: str, code: str, label_zh: str, label_en: str,
               evidence_kinds: Sequence[str], now: datetime) -> ReasonCode:
    """Add a reason code of a scheme, or change its words and the evidence it calls for."""
    principal.require(Permission.MANAGE_MERCHANTS)
    name = scheme.strip().upper()
    if name not in {rule.scheme for rule in schemes_of(session, principal.tenant_id)}:
        raise InvalidInput(f"unknown card scheme {scheme!r}: add it first")
    if not _CODE.match(code.strip()):
        raise InvalidInput(f"a reason code has 1 to 12 letters, digits or dots, not {code!r}")
    if not label_zh.strip() or not label_en.strip() or len(label_zh) > 120 or len(label_en) > 120:
        raise InvalidInput("a reason code has its words in Chinese and in English (1 to 120 characters each)")
    kinds = [kind.strip().lower() for kind in evidence_kinds if kind.strip()]
    unknown = [kind for kind in kinds if kind not in UPLOAD_KINDS]
    if unknown:
        raise InvalidInput(f"unknown evidence kind(s) {', '.join(unknown)}: one of {', '.join(UPLOAD_KINDS)}")
    found = next((r for r in reason_codes(session, principal.tenant_id, name) if r.code == code.strip()), None)
    if found is None:
        found = ReasonCode(tenant_id=principal.tenant_id, scheme=name, code=code.strip())
        session.add(found)
    found.label_zh, found.label_en, found.evidence_kinds = label_zh.strip(), label_en.strip(), kinds
    session.flush()
    record(session, principal.actor(), "dispute.reason.set", "dispute_reason", f"{name}:{found.code}",
           after={"label_en": found.label_en, "evidence_kinds": kinds}, at=now)
    return found
