"""The report's aggregations, in SQL (counts and sums grouped in the database, never a loop over rows),
always within the caller's tenant and — for merchant roles — merchants, and in one currency.

What is counted in a period (merchant-local days [first, last], see recoup.reports.rules.Period):
- a finding by the moment of its transaction (`txn_time`), or when it was first seen if it names none
  (as the findings inbox filters them);
- a case by the moment of the transaction it claims (`txn_time`), or when it was opened if it names none:
  a report of March tells what went wrong in March and what has come of it so far;
- a journal line (the base of the error rates) by its stored merchant-local day (`local_date`), read from
  the daily rollups up to their watermark and directly past it (recoup.reports.rollup: the same numbers).
Findings, cases, journal and settlement lines in another currency are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Date, Select, String, and_, case, cast, exists, func, literal, select, type_coerce
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.cases.models import Case
from recoup.cases.repository import STOPPED_CLOCK
from recoup.merchants.models import Merchant
from recoup.reconciliation.models import StoredFinding
from recoup.recovery.models import RecoveryAction, RecoveryStatus
from recoup.reports import rollup
from recoup.reports.rules import TOP_RATES, Period, age_cutoffs
from recoup.transactions.models import JournalLine, SettlementLine
from recoup.transactions.zones import fixed_offset_minutes

F, C, J, S = StoredFinding, Case, JournalLine, SettlementLine
FINDING_MOMENT = func.coalesce(F.txn_time, F.first_seen_at)
CASE_MOMENT = func.coalesce(C.txn_time, C.opened_at)


@dataclass(frozen=True)
class Scope:
    """Whose rows a report counts: one tenant, its merchants (all, the caller's, or one), one currency."""

    tenant_id: int
    merchant_ids: tuple[str, ...] | None  # None: every merchant of the tenant
    currency: str

    @classmethod
    def of(cls, principal: Principal, merchant_id: str | None, currency: str) -> Scope:
        if merchant_id:
            return cls(principal.tenant_id, (merchant_id,), currency)
        if principal.limited_to_merchants:
            return cls(principal.tenant_id, tuple(sorted(principal.merchant_ids)), currency)
        return cls(principal.tenant_id, None, currency)

    def where(self, model: Any) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [model.tenant_id == self.tenant_id, model.currency == self.currency]
        if self.merchant_ids is not None:
            conditions.append(model.merchant_id.in_(list(self.merchant_ids)))
        return conditions


@dataclass(frozen=True)
class PeriodTotals:
    """The raw numbers of one period, before rates and percentiles."""

    findings: int
    cases: int
    at_stake_minor: int
    recovered_minor: int
    cases_recovered: int
    open_past_deadline: int
    fees_lost_minor: int
    transactions: int
    recovery_hours: list[float]


def _findings(scope: Scope, period: Period) -> list[ColumnElement[bool]]:
    return [*scope.where(F), FINDING_MOMENT >= period.start, FINDING_MOMENT < period.end]


def _cases(scope: Scope, period: Period) -> list[ColumnElement[bool]]:
    return [*scope.where(C), CASE_MOMENT >= period.start, CASE_MOMENT < period.end]


def _journal(scope: Scope, period: Period) -> list[ColumnElement[bool]]:
    return [*scope.where(J), J.local_date >= period.first, J.local_date <= period.last]


def _int(value: Any) -> int:
    return int(value) if value is not None else 0


FULLY_RECOVERED = and_(C.at_stake_minor > 0, C.recovered_minor >= C.at_stake_minor)
STILL_OPEN = C.state.not_in(STOPPED_CLOCK)


def period_totals(session: Session, scope: Scope, period: Period, as_of: datetime) -> PeriodTotals:
    found = session.execute(select(func.count()).select_from(F).where(*_findings(scope, period))).scalar_one()
    cases = session.execute(select(
        func.count(), func.sum(C.at_stake_minor), func.sum(C.recovered_minor),
        func.sum(case((FULLY_RECOVERED, 1), else_=0)),
        func.sum(case((and_(STILL_OPEN, C.deadline_at < as_of), 1), else_=0)),
    ).where(*_cases(scope, period))).one()
    transactions = rollup.transactions(session, scope, period)
    return PeriodTotals(
        findings=_int(found), cases=_int(cases[0]), at_stake_minor=_int(cases[1]), recovered_minor=_int(cases[2]),
        cases_recovered=_int(cases[3]), open_past_deadline=_int(cases[4]),
        fees_lost_minor=fees_lost(session, scope, period), transactions=_int(transactions),
        recovery_hours=recovery_hours(session, scope, period),
    )


def fees_lost(session: Session, scope: Scope, period: Period) -> int:
    """Settlement fees of the transactions the period's findings name (by merchant, terminal and RRN):
    the acquirer kept them on money that should not have been charged. Each settlement line counts once,
    however many findings name it. Driven by the findings (a few), each looking its lines up by the
    settlement's identity index, never a scan of the settlement."""
    named = (select(S.id).join(F, and_(F.rrn == S.rrn, F.terminal_id == S.terminal_id,
                                       F.merchant_id == S.merchant_id))
             .where(*_findings(scope, period), F.rrn != "", S.tenant_id == scope.tenant_id,
                    S.currency == scope.currency))
    return _int(session.execute(select(func.sum(S.fee_minor)).where(S.id.in_(named))).scalar_one())


def recovery_hours(session: Session, scope: Scope, period: Period) -> list[float]:
    """Hours from opening to the money being fully back, per fully recovered case of the period: the last
    confirmed recovery action's time, or when the case was closed if no action recorded it."""
    confirmed = (select(func.max(RecoveryAction.confirmed_at))
                 .where(RecoveryAction.case_id == C.id, RecoveryAction.status == RecoveryStatus.CONFIRMED.value,
                        RecoveryAction.purpose == "RECOVERY")
                 .correlate(C).scalar_subquery())
    back: Any = func.coalesce(confirmed, C.closed_at)
    opened: Any = C.opened_at
    if session.get_bind().dialect.name == "sqlite":  # the stored UTC texts, parsed here (a year: 150,000 rows)
        opened, back = type_coerce(opened, String), type_coerce(back, String)
    rows = session.execute(select(opened, back).where(*_cases(scope, period), FULLY_RECOVERED))
    hours: list[float] = []
    for opened_at, back_at in rows:  # one row per recovered case: the percentiles need each duration
        if back_at is not None:
            hours.append(max(0.0, _seconds(opened_at, back_at) / 3600))
    return hours


def _seconds(start: datetime | str, end: datetime | str) -> float:
    """Seconds from `start` to `end`: both moments (PostgreSQL), or both SQLite's stored texts, in UTC."""
    if isinstance(start, str) and isinstance(end, str):
        return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    return (cast_moment(end) - cast_moment(start)).total_seconds()


def cast_moment(moment: datetime | str) -> datetime:
    return moment if isinstance(moment, datetime) else datetime.fromisoformat(moment).replace(tzinfo=UTC)


@dataclass(frozen=True)
class KindNumbers:
    kind: str
    findings: int
    cases: int
    at_stake_minor: int
    recovered_minor: int


def by_kind(session: Session, scope: Scope, period: Period) -> list[KindNumbers]:
    found = {str(kind): int(count) for kind, count in session.execute(
        select(F.kind, func.count()).where(*_findings(scope, period)).group_by(F.kind))}
    cases = {str(kind): (int(count), _int(stake), _int(back)) for kind, count, stake, back in session.execute(
        select(C.kind, func.count(), func.sum(C.at_stake_minor), func.sum(C.recovered_minor))
        .where(*_cases(scope, period)).group_by(C.kind))}
    kinds = sorted(set(found) | set(cases))
    rows = [KindNumbers(kind, int(found.get(kind, 0)), *cases.get(kind, (0, 0, 0))) for kind in kinds]
    return sorted(rows, key=lambda row: (-row.findings, -row.cases, row.kind))


def by_cause(session: Session, scope: Scope, period: Period) -> list[tuple[str, int, int]]:
    cause = func.coalesce(F.cause, literal(""))
    count = func.count()
    query = (select(cause, count, func.sum(func.abs(F.difference_minor))).where(*_findings(scope, period))
             .group_by(cause).order_by(count.desc(), cause))
    return [(str(name), int(found), _int(size)) for name, found, size in session.execute(query)]


def local_day(session: Session, moment: Any, period: Period) -> Any:
    """The merchant-local day of an instant, in SQL. PostgreSQL converts with the zone's rules; SQLite
    adds the zone's offset (the offset at the period's start for a zone that changes it)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(period.zone, moment), Date)
    offset = fixed_offset_minutes(period.zone)
    if offset is None:
        delta = period.start.utcoffset()
        offset = int(delta.total_seconds() // 60) if delta is not None else 0
    return func.date(moment, f"{offset:+d} minutes")


def by_day(session: Session, scope: Scope, period: Period) -> dict[date, tuple[int, int]]:
    day = local_day(session, FINDING_MOMENT, period).label("day")
    query = (select(day, func.count(), func.sum(func.abs(F.difference_minor)))
             .where(*_findings(scope, period)).group_by(day))
    found: dict[date, tuple[int, int]] = {}
    for value, count, size in session.execute(query):
        found[value if isinstance(value, date) else date.fromisoformat(str(value))] = (int(count), _int(size))
    return found


@dataclass(frozen=True)
class RateNumbers:
    key: str
    merchant_id: str
    transactions: int
    findings: int
    merchant_name: str = ""  # the merchant's name ("" when the tenant has no such merchant on file)


def _worst(session: Session, scope: Scope, errors: Select[str, str | None, int],
           base: Select[str, str, int]) -> list[RateNumbers]:
    """Rows of `errors` (merchant_id, key, findings) with their `base` (merchant_id, key, transactions) and
    the merchant's name, worst rate first; a key with findings but no transactions has a rate of 0 and ranks
    by its findings. Both are counted in the database; their few thousand groups are matched and ranked
    here (joined in SQL, SQLite walked one side once per row of the other: seconds at a year's findings)."""
    found = [(str(merchant), str(key), int(count)) for merchant, key, count in session.execute(errors)
             if key is not None]
    if not found:
        return []
    wanted = {(merchant, key) for merchant, key, _count in found}
    txns = {pair: int(count) for merchant, key, count in session.execute(base)
            if (pair := (str(merchant), str(key))) in wanted}

    def worst_first(row: tuple[str, str, int]) -> tuple[float, int, str, str]:
        merchant, key, count = row
        lines = txns.get((merchant, key), 0)
        return (-(float(count) * 1000 / lines) if lines else -0.0, -count, merchant, key)

    top = sorted(found, key=worst_first)[:TOP_RATES]
    names = {str(merchant): str(name or "") for merchant, name in session.execute(
        select(Merchant.merchant_id, Merchant.name).where(
            Merchant.tenant_id == scope.tenant_id, Merchant.merchant_id.in_(sorted({row[0] for row in top}))))}
    return [RateNumbers(key, merchant, txns.get((merchant, key), 0), count, names.get(merchant, ""))
            for merchant, key, count in top]


def worst_terminals(session: Session, scope: Scope, period: Period) -> list[RateNumbers]:
    errors = (select(F.merchant_id, F.terminal_id.label("key"), func.count().label("findings"))
              .where(*_findings(scope, period), F.terminal_id != "").group_by(F.merchant_id, F.terminal_id))
    return _worst(session, scope, errors, rollup.journal_counts(session, scope, period, "terminal"))


def worst_cashiers(session: Session, scope: Scope, period: Period) -> list[RateNumbers]:
    """A finding's cashier is the one on the journal line of its transaction, kept on the finding when it was
    saved (recoup.reconciliation.store)."""
    errors = (select(F.merchant_id, F.cashier_id.label("key"), func.count().label("findings"))
              .where(*_findings(scope, period), F.cashier_id.is_not(None)).group_by(F.merchant_id, F.cashier_id))
    return _worst(session, scope, errors, rollup.journal_counts(session, scope, period, "cashier"))


def funnel(session: Session, scope: Scope, period: Period) -> tuple[int, int, int, int]:
    """Findings, findings with a case; cases with a recovery action, cases with money seen arriving."""
    found, cased = session.execute(
        select(func.count(), func.count(F.case_id)).where(*_findings(scope, period))).one()
    acted_case = exists().where(RecoveryAction.case_id == C.id)
    acted, back = session.execute(select(
        func.sum(case((acted_case, 1), else_=0)), func.sum(case((C.recovered_minor > 0, 1), else_=0)),
    ).where(*_cases(scope, period))).one()
    return _int(found), _int(cased), _int(acted), _int(back)


def ageing(session: Session, scope: Scope, period: Period, as_of: datetime) -> dict[str, int]:
    """The period's cases still open, by how long they had been open at `as_of` (opened later: left out)."""
    cutoffs = age_cutoffs(as_of)
    branches = [(C.opened_at > since, literal(label)) for label, since in cutoffs if since is not None]
    bucket = case(*branches, else_=literal(cutoffs[-1][0])).label("bucket")
    query = (select(bucket, func.count()).where(*_cases(scope, period), STILL_OPEN, C.opened_at <= as_of)
             .group_by(bucket))
    return {str(label): int(count) for label, count in session.execute(query)}


def cases_by_day(session: Session, scope: Scope, period: Period) -> dict[date, tuple[int, int, int, int]]:
    """Per merchant-local day of the case's transaction: cases, amount at stake, recovered, fully recovered."""
    day = local_day(session, CASE_MOMENT, period).label("day")
    query = (select(day, func.count(), func.sum(C.at_stake_minor), func.sum(C.recovered_minor),
                    func.sum(case((FULLY_RECOVERED, 1), else_=0)))
             .where(*_cases(scope, period)).group_by(day))
    found: dict[date, tuple[int, int, int, int]] = {}
    for value, count, stake, back, done in session.execute(query):
        key = value if isinstance(value, date) else date.fromisoformat(str(value))
        found[key] = (int(count), _int(stake), _int(back), _int(done))
    return found


def worst_merchants(session: Session, scope: Scope, period: Period) -> list[RateNumbers]:
    """Merchants by findings per 1,000 of their transactions, worst first."""
    errors = (select(F.merchant_id, F.merchant_id.label("key"), func.count().label("findings"))
              .where(*_findings(scope, period)).group_by(F.merchant_id))
    return _worst(session, scope, errors, rollup.journal_counts(session, scope, period, "merchant"))
