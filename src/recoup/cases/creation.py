"""A new case: what it is made of, built on the first rung of the ladder, and stored with its keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from recoup.audit.service import Actor, record
from recoup.cases.ladder import LadderConfig, deadline_for, first_step, owner_role
from recoup.cases.models import Case, CaseKey
from recoup.cases.recording import add_event, publish
from recoup.cases.repository import claimed_keys, ladder_config, next_case_number
from recoup.cases.schemas import case_row
from recoup.cases.states import CaseState
from recoup.db import utcnow


class Direction(StrEnum):
    MERCHANT_OWES_PAYER = "MERCHANT_OWES_PAYER"
    PAYER_OWES_MERCHANT = "PAYER_OWES_MERCHANT"
    ACQUIRER_OWES_MERCHANT = "ACQUIRER_OWES_MERCHANT"
    MERCHANT_OWES_ACQUIRER = "MERCHANT_OWES_ACQUIRER"
    NONE = "NONE"


@dataclass(frozen=True)
class CaseFacts:
    """What a new case is made of, whoever opens it."""

    merchant_id: str
    kind: str
    direction: str
    currency: str
    at_stake_minor: int
    terminal_id: str | None = None
    cause: str | None = None
    rrn: str = ""
    related_rrn: str = ""
    order_no: str = ""
    txn_time: datetime | None = None
    summary: str = ""


def build_case(number: str, tenant_id: int, facts: CaseFacts, opened_by: str, config: LadderConfig,
               now: datetime) -> Case:
    """A new case on the first rung (not yet added to the session)."""
    step = first_step()
    return Case(
        number=number, tenant_id=tenant_id, merchant_id=facts.merchant_id,
        terminal_id=facts.terminal_id or None, kind=facts.kind, cause=facts.cause or None,
        direction=Direction(facts.direction).value, currency=facts.currency, at_stake_minor=facts.at_stake_minor,
        recovered_minor=0, rrn=facts.rrn, related_rrn=facts.related_rrn, order_no=facts.order_no,
        txn_time=facts.txn_time, state=CaseState.OPEN.value, rung=step.rung.value, stage=None,
        rung_started_at=now, deadline_at=deadline_for(step.rung, None, now, facts.txn_time, config),
        owner="", owner_role=owner_role(step.rung, config), summary=facts.summary, opened_by=opened_by,
        opened_at=now, updated_at=now,
    )


def create_case(session: Session, actor: Actor, tenant_id: int, facts: CaseFacts, keys: Sequence[str],
                now: datetime | None = None) -> Case:
    """Open a case on the first rung, claiming `keys` (its transactions) for it."""
    moment = now or utcnow()
    config = ladder_config(session, tenant_id)
    case = build_case(next_case_number(session, moment.year), tenant_id, facts, actor.name, config, moment)
    session.add(case)
    session.flush()
    claim(session, case, keys)
    add_event(session, case, actor.name, "opened", facts.summary, to_state=CaseState.OPEN.value, now=moment)
    record(session, actor, "case.open", "case", case.number, tenant_id=tenant_id, after=case_row(case), at=moment)
    publish(session, case, "case.opened", moment)
    return case


def claim(session: Session, case: Case, keys: Sequence[str]) -> None:
    """Claim the keys no case holds yet (a key held by another case stays with it)."""
    taken = claimed_keys(session, case.tenant_id, keys)
    for key in dict.fromkeys(keys):
        if key not in taken:
            session.add(CaseKey(tenant_id=case.tenant_id, case_id=case.id, key=key))
    session.flush()
