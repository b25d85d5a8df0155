"""Dispute queries, always within the caller's tenant and merchants; the tenant's reason codes and schemes."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.bounds import is_ascii_digits
from recoup.cases.models import Case
from recoup.cases.repository import ladder_config
from recoup.db import exclusive, upsert_for
from recoup.disputes.catalogue import SEED_REASONS
from recoup.disputes.models import Dispute, ReasonCode, SchemeRule
from recoup.disputes.rules import SCHEMES, Rules, Stage
from recoup.errors import InvalidInput, NotFound
from recoup.merchants.models import Merchant


def scoped_disputes(principal: Principal) -> Select[Dispute]:
    query = select(Dispute).where(Dispute.tenant_id == principal.tenant_id)
    if principal.limited_to_merchants:
        query = query.where(Dispute.merchant_id.in_(sorted(principal.merchant_ids)))
    return query


def get_dispute(session: Session, principal: Principal, reference: str | int, *, lock: bool = False) -> Dispute:
    """The dispute in the caller's scope, or NotFound (404), never 403 for another tenant's."""
    text = str(reference).strip()
    if not is_ascii_digits(text) or len(text) > 17:
        raise NotFound(f"no dispute {text!r}: name a dispute by its number, e.g. 12")
    query = scoped_disputes(principal).where(Dispute.id == int(text))
    if lock:
        exclusive(session)
        query = query.with_for_update()
    found = session.execute(query).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no dispute {text}")
    return found


def list_disputes(session: Session, principal: Principal, *, state: str | None = None, scheme: str | None = None,
                  due_by: date | None = None, case_id: int | None = None, limit: int = 1000,
                  outcome: str | None = None) -> list[Dispute]:
    """The caller's disputes, soonest due first; `due_by`: those still open and due on or before it;
    `outcome`: those that ended so (EXPIRED: the ones the daily pass found unanswered past due)."""
    query = scoped_disputes(principal)
    if state:
        query = query.where(Dispute.state == state.strip().upper())
    if outcome:
        query = query.where(Dispute.outcome == outcome.strip().upper())
    if scheme:
        query = query.where(Dispute.scheme == scheme.strip().upper())
    if due_by is not None:
        query = query.where(Dispute.state == "AWAITING_RESPONSE", Dispute.due_on <= due_by)
    if case_id is not None:
        query = query.where(Dispute.case_id == case_id)
    return list(session.execute(query.order_by(Dispute.due_on, Dispute.id).limit(limit)).scalars())


def open_dispute_of(session: Session, case: Case) -> Dispute | None:
    """The case's dispute still running, if any (one scheme cycle at a time)."""
    query = select(Dispute).where(Dispute.case_id == case.id, Dispute.state != "ENDED")
    return session.execute(query.order_by(Dispute.id).limit(1)).scalar_one_or_none()


def by_reference(session: Session, tenant_id: int, scheme: str, reference: str) -> Dispute | None:
    query = select(Dispute).where(Dispute.tenant_id == tenant_id, Dispute.scheme == scheme,
                                  Dispute.reference == reference)
    return session.execute(query.order_by(Dispute.id).limit(1)).scalar_one_or_none()


def seed_tenant(session: Session, tenant_id: int) -> None:
    """Fill a tenant's reason codes and schemes from the seeds, once (on first use)."""
    if session.execute(select(SchemeRule.id).where(SchemeRule.tenant_id == tenant_id).limit(1)).first():
        return
    # Two first pages of a tenant at once both seed: ON CONFLICT DO NOTHING lets the second find the first's rows.
    insert = upsert_for(session)
    session.execute(insert(SchemeRule).values([{"tenant_id": tenant_id, "scheme": scheme, "chargeback_fee_minor": 0}
                                               for scheme in SCHEMES]).on_conflict_do_nothing())
    session.execute(insert(ReasonCode).values([
        {"tenant_id": tenant_id, "scheme": seed.scheme, "code": seed.code, "label_zh": seed.label_zh,
         "label_en": seed.label_en, "evidence_kinds": list(seed.evidence_kinds)} for seed in SEED_REASONS
    ]).on_conflict_do_nothing())


_SCHEMES = select(SchemeRule).where(SchemeRule.tenant_id == bindparam("tenant_id")).order_by(SchemeRule.id)


def schemes_of(session: Session, tenant_id: int) -> list[SchemeRule]:
    """The tenant's schemes, seeded on first use: one statement once seeded (seed_tenant's own look-up is the
    same question, so it is asked only when the tenant has none)."""
    found = list(session.execute(_SCHEMES, {"tenant_id": tenant_id}).scalars())
    if found:
        return found
    seed_tenant(session, tenant_id)
    return list(session.execute(_SCHEMES, {"tenant_id": tenant_id}).scalars())


@cache
def _disputes_of_case(limited: bool) -> Select[Dispute]:
    """list_disputes(case_id=...)'s statement, built once per scope shape (the case page asks it every time)."""
    query = select(Dispute).where(Dispute.tenant_id == bindparam("tenant_id"))
    if limited:
        query = query.where(Dispute.merchant_id.in_(bindparam("merchant_ids", expanding=True)))
    return query.where(Dispute.case_id == bindparam("case_id")).order_by(Dispute.due_on, Dispute.id).limit(1000)


def disputes_of_case(session: Session, principal: Principal, case_id: int) -> list[Dispute]:
    """The case's disputes in the caller's scope, soonest due first: list_disputes(case_id=case_id)."""
    values: dict[str, object] = {"tenant_id": principal.tenant_id, "case_id": case_id}
    if principal.limited_to_merchants:
        values["merchant_ids"] = sorted(principal.merchant_ids)
    statement = _disputes_of_case(principal.limited_to_merchants)
    return list(session.execute(statement, values).scalars())


def scheme_rule(session: Session, tenant_id: int, scheme: str) -> SchemeRule:
    for rule in schemes_of(session, tenant_id):
        if rule.scheme == scheme.strip().upper():
            return rule
    known = ", ".join(rule.scheme.lower() for rule in schemes_of(session, tenant_id))
    raise InvalidInput(f"unknown card scheme {scheme!r}: one of {known}")


def reason_codes(session: Session, tenant_id: int, scheme: str | None = None) -> list[ReasonCode]:
    seed_tenant(session, tenant_id)
    query = select(ReasonCode).where(ReasonCode.tenant_id == tenant_id)
    if scheme:
        query = query.where(ReasonCode.scheme == scheme)
    return list(session.execute(query.order_by(ReasonCode.scheme, ReasonCode.code)).scalars())


def reason_code(session: Session, tenant_id: int, scheme: str, code: str) -> ReasonCode:
    seed_tenant(session, tenant_id)
    found = session.execute(select(ReasonCode).where(
        ReasonCode.tenant_id == tenant_id, ReasonCode.scheme == scheme, ReasonCode.code == code.strip(),
    )).scalar_one_or_none()
    if found is None:
        known = ", ".join(row.code for row in reason_codes(session, tenant_id, scheme))
        raise InvalidInput(f"unknown {scheme.lower()} reason code {code!r}: one of {known}")
    return found


def tenant_rules(session: Session, tenant_id: int, scheme: str) -> Rules:
    """The tenant's stage days and dispute window (its ladder settings) and the scheme's chargeback fee."""
    ladder = ladder_config(session, tenant_id)
    days = {Stage(stage.value): count for stage, count in ladder.stage_days.items()}
    fee = scheme_rule(session, tenant_id, scheme).chargeback_fee_minor
    return Rules(days, ladder.dispute_window_days, fee)


def merchant_zone(session: Session, merchant_id: str, fallback: str = "Asia/Shanghai") -> ZoneInfo:
    merchant = session.get(Merchant, merchant_id)
    return ZoneInfo((merchant.timezone if merchant is not None else "") or fallback)


def merchant_day(session: Session, merchant_id: str, moment: datetime) -> date:
    """The merchant's calendar day at `moment` (due dates are days in the merchant's zone)."""
    return moment.astimezone(merchant_zone(session, merchant_id)).date()
