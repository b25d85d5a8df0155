"""The queries of the workplace dashboard, each scoped by the principal (tenant, and merchants for the merchant
roles): the open cases a role works, by deadline; the findings new since the last visit; the week's money;
the scheme disputes due soon. Rules (what is due today, the merchant's week) come from recoup.workplace.rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.auth.scoping import scoped
from recoup.cases.models import Case
from recoup.cases.repository import STOPPED_CLOCK, scoped_cases
from recoup.disputes.deadlines import ALERT_DAYS
from recoup.disputes.models import Dispute
from recoup.disputes.rules import DisputeState
from recoup.merchants.models import Merchant
from recoup.reconciliation.models import StoredFinding
from recoup.recovery.models import RecoveryAction, RecoveryStatus
from recoup.web.formatting import zone
from recoup.workplace.rules import Due, due, queue_kind, week_of

SHOWN = 20  # rows of the overdue and due-today sections; the counts say how many there are in all
LATER_SHOWN = 10  # the next deadlines after today
UPCOMING_CAP = 500  # open cases read to find those due today (a day's deadlines)


@dataclass(frozen=True)
class QueueRow:
    number: str
    merchant_id: str
    merchant_name: str
    zone: str  # the merchant's time zone: its times are shown there
    kind: str
    state: str
    rung: str
    at_stake_minor: int
    currency: str
    deadline_at: datetime
    due: Due


@dataclass
class CaseQueue:
    overdue: list[QueueRow] = field(default_factory=list)
    today: list[QueueRow] = field(default_factory=list)
    later: list[QueueRow] = field(default_factory=list)
    overdue_count: int = 0
    today_count: int = 0
    later_count: int = 0


def _owned(principal: Principal) -> ColumnElement[bool]:
    """The cases the role works: its own (named, or unassigned at its role's rung), its rung's, or all."""
    kind = queue_kind(principal.role)
    if kind == "all":
        return true()
    if kind == "rung":
        return Case.owner_role == principal.role.value
    return or_(Case.owner == principal.username, and_(Case.owner == "", Case.owner_role == principal.role.value))


def _open_cases(principal: Principal) -> Any:
    return scoped_cases(principal).where(Case.state.not_in(STOPPED_CLOCK), _owned(principal))


def _rows(session: Session, query: Any, now: datetime, default_zone: str) -> list[QueueRow]:
    joined = query.add_columns(Merchant.name, Merchant.timezone).join(
        Merchant, Merchant.merchant_id == Case.merchant_id).order_by(Case.deadline_at, Case.id)
    found = []
    for case, name, merchant_zone in session.execute(joined).all():
        zone_name = merchant_zone or default_zone
        found.append(QueueRow(case.number, case.merchant_id, name, zone_name, case.kind, case.state, case.rung,
                              case.at_stake_minor, case.currency, case.deadline_at,
                              due(case.deadline_at, now, zone(zone_name, default_zone))))
    return found


def case_queue(session: Session, principal: Principal, now: datetime, default_zone: str) -> CaseQueue:
    """The role's open cases: overdue (longest overdue first), due today in the merchant's zone, and later."""
    base = _open_cases(principal)
    total = session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    overdue_query = base.where(Case.deadline_at < now)
    overdue_count = session.execute(select(func.count()).select_from(overdue_query.subquery())).scalar_one()
    upcoming = _rows(session, base.where(Case.deadline_at >= now).limit(UPCOMING_CAP), now, default_zone)
    today = [row for row in upcoming if row.due == Due.TODAY]
    queue = CaseQueue(overdue_count=overdue_count, today_count=len(today),
                      later_count=total - overdue_count - len(today))
    queue.overdue = _rows(session, overdue_query.limit(SHOWN), now, default_zone)
    queue.today = today[:SHOWN]
    queue.later = [row for row in upcoming if row.due == Due.LATER][:LATER_SHOWN]
    return queue


def new_findings(session: Session, principal: Principal, since: datetime) -> list[tuple[str, int]]:
    """Findings first seen after `since`, counted by kind (the most first)."""
    query = scoped(StoredFinding, principal).where(StoredFinding.first_seen_at > since).subquery()
    counted = func.count().label("found")
    rows = session.execute(select(query.c.kind, counted).group_by(query.c.kind)
                           .order_by(counted.desc(), query.c.kind)).all()
    return [(str(kind), int(found)) for kind, found in rows]


@dataclass(frozen=True)
class WeekMoney:
    currency: str
    at_stake_minor: int
    recovered_minor: int


def _zones(session: Session, principal: Principal, default_zone: str) -> dict[str, list[str]]:
    """The caller's merchants grouped by their time zone (each has its own week)."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for merchant_id, merchant_zone in session.execute(
            scoped(Merchant, principal).with_only_columns(Merchant.merchant_id, Merchant.timezone)).all():
        grouped[merchant_zone or default_zone].append(merchant_id)
    return grouped


def _sums(session: Session, query: Any) -> Iterable[tuple[str, int]]:
    return ((str(currency), int(total or 0)) for currency, total in session.execute(query).all())


def week_money(session: Session, principal: Principal, now: datetime, default_zone: str) -> list[WeekMoney]:
    """This week (Monday first, in each merchant's zone): the amount at stake on the cases opened, and the
    money recovered (recoveries confirmed), per currency."""
    at_stake: dict[str, int] = defaultdict(int)
    recovered: dict[str, int] = defaultdict(int)
    zones = _zones(session, principal, default_zone)
    for zone_name, merchant_ids in zones.items():
        start, end = week_of(now, zone(zone_name, default_zone))
        cases = scoped_cases(principal).where(Case.opened_at >= start, Case.opened_at < end)
        actions = scoped(RecoveryAction, principal).where(
            RecoveryAction.status == RecoveryStatus.CONFIRMED.value, RecoveryAction.purpose == "RECOVERY",
            RecoveryAction.confirmed_at >= start, RecoveryAction.confirmed_at < end)
        if len(zones) > 1:
            cases = cases.where(Case.merchant_id.in_(merchant_ids))
            actions = actions.where(RecoveryAction.merchant_id.in_(merchant_ids))
        for currency, total in _sums(session, cases.with_only_columns(Case.currency, func.sum(Case.at_stake_minor))
                                     .group_by(Case.currency)):
            at_stake[currency] += total
        for currency, total in _sums(session, actions.with_only_columns(
                RecoveryAction.currency, func.sum(RecoveryAction.amount_minor)).group_by(RecoveryAction.currency)):
            recovered[currency] += total
    currencies = sorted(set(at_stake) | set(recovered)) or ["CNY"]
    return [WeekMoney(currency, at_stake[currency], recovered[currency]) for currency in currencies]


@dataclass(frozen=True)
class DisputeRow:
    dispute_id: int
    case_number: str
    merchant_name: str
    stage: str
    scheme: str
    amount_minor: int
    currency: str
    due_on: date
    days_left: int


def disputes_due(session: Session, principal: Principal, now: datetime, default_zone: str) -> list[DisputeRow]:
    """Disputes awaiting our answer due in ALERT_DAYS days or less (a merchant's day), the soonest first."""
    horizon = (now + timedelta(days=ALERT_DAYS + 1)).date()  # a day of slack for the merchants' zones
    query = (scoped(Dispute, principal)
             .where(Dispute.state == DisputeState.AWAITING_RESPONSE.value, Dispute.due_on <= horizon)
             .add_columns(Case.number, Merchant.name, Merchant.timezone)
             .join(Case, Case.id == Dispute.case_id).join(Merchant, Merchant.merchant_id == Dispute.merchant_id)
             .order_by(Dispute.due_on, Dispute.id))
    found = []
    for dispute, number, name, merchant_zone in session.execute(query).all():
        today = now.astimezone(zone(merchant_zone, default_zone)).date()
        days_left = (dispute.due_on - today).days
        if days_left <= ALERT_DAYS:
            found.append(DisputeRow(dispute.id, number, name, dispute.stage, dispute.scheme, dispute.amount_minor,
                                    dispute.currency, dispute.due_on, days_left))
    return found
