"""The periodic report (SPEC section 8, issue 14): one use case, `summary`, for the API, the CLI, the
reports page and the exports alike. Reads only; the caller's unit of work is left untouched.

Days are merchant-local: a report of one merchant uses that merchant's zone, a report of several uses the
SPEC's default zone (Asia/Shanghai). See recoup.reports.repository for what each number counts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.db import utcnow
from recoup.merchants.repository import get_merchant
from recoup.reports import repository as sql
from recoup.reports.prevention import prevention_rows
from recoup.reports.rules import (
    AGE_BUCKETS,
    DEFAULT_ZONE,
    Period,
    check_currency,
    check_period,
    default_range,
    per_thousand,
    percentile,
    rate,
)
from recoup.reports.summary import (
    AgeRow,
    CauseRow,
    DayRow,
    Funnel,
    KindRow,
    PreventionRow,
    RateRow,
    Summary,
    Totals,
)

STEPS = ("totals", "previous period", "kinds", "causes", "days", "terminals", "cashiers", "funnel", "ageing",
         "prevention")  # what `summary` counts, in order: `on_step` hears each name when it is done


def summary(session: Session, principal: Principal, date_from: date | None, date_to: date | None,
            merchant_id: str | None = None, currency: str = "CNY", now: datetime | None = None,
            on_step: Callable[[str], None] | None = None) -> Summary:
    """The report of [date_from, date_to] (merchant-local days, both included; the last 30 days when
    either is missing) for the caller's merchants, or one of them; a merchant out of sight is NotFound.
    `on_step` (a progress bar) is called with each name of STEPS once that part is counted."""
    principal.require(Permission.READ)
    code = check_currency(currency)
    moment = now or utcnow()
    period, scope = report_scope(session, principal, date_from, date_to, merchant_id, code, moment)
    previous = period.previous()
    parts: dict[str, object] = {}
    counts: dict[str, Callable[[], object]] = {
        "totals": lambda: totals(sql.period_totals(session, scope, period, period.as_of(moment))),
        "previous": lambda: totals(sql.period_totals(session, scope, previous, previous.as_of(moment))),
        "by_kind": lambda: [KindRow(row.kind, row.findings, row.cases, row.at_stake_minor, row.recovered_minor)
                            for row in sql.by_kind(session, scope, period)],
        "by_cause": lambda: [CauseRow(*row) for row in sql.by_cause(session, scope, period)],
        "by_day": lambda: days(sql.by_day(session, scope, period), period),
        "worst_terminals": lambda: rates(sql.worst_terminals(session, scope, period)),
        "worst_cashiers": lambda: rates(sql.worst_cashiers(session, scope, period)),
        "funnel": lambda: Funnel(*sql.funnel(session, scope, period)),
        "ageing": lambda: ages(sql.ageing(session, scope, period, moment)),  # open now: aged now
        "prevention": lambda: prevention_rows(session, scope, period, moment),
    }
    for (name, count), step in zip(counts.items(), STEPS, strict=True):
        parts[name] = count()
        if on_step is not None:
            on_step(step)
    return Summary(tenant_id=principal.tenant_id, merchant_ids=(merchant_id,) if merchant_id else (),
                   date_from=period.first, date_to=period.last, currency=code, aged_at=moment,
                   **parts)  # type: ignore[arg-type]


def report_scope(session: Session, principal: Principal, date_from: date | None, date_to: date | None,
                 merchant_id: str | None, currency: str, moment: datetime) -> tuple[Period, sql.Scope]:
    """The period (merchant-local days: the merchant's zone, else the default one) and whose rows count."""
    zone = DEFAULT_ZONE
    if merchant_id:
        zone = get_merchant(session, principal, merchant_id).timezone or DEFAULT_ZONE
    if date_from is None or date_to is None:
        first, last = default_range(moment, zone)
        date_from, date_to = date_from or first, date_to or last
    return check_period(date_from, date_to, zone), sql.Scope.of(principal, merchant_id, currency)


def totals(numbers: sql.PeriodTotals) -> Totals:
    return Totals(
        findings=numbers.findings, cases=numbers.cases, amount_at_stake_minor=numbers.at_stake_minor,
        amount_recovered_minor=numbers.recovered_minor,
        recovery_rate=rate(numbers.recovered_minor, numbers.at_stake_minor),
        cases_recovered=numbers.cases_recovered, recovery_rate_by_count=rate(numbers.cases_recovered, numbers.cases),
        median_hours_to_recovery=percentile(numbers.recovery_hours, 0.5),
        p90_hours_to_recovery=percentile(numbers.recovery_hours, 0.9),
        open_past_deadline=numbers.open_past_deadline, fees_lost_minor=numbers.fees_lost_minor,
        transactions=numbers.transactions,
    )


def days(found: dict[date, tuple[int, int]], period: Period) -> list[DayRow]:
    """Every day of the period, a day without findings included (a chart's time axis has no gaps)."""
    return [DayRow(day, *found.get(day, (0, 0))) for day in period.each_day()]


def rates(rows: list[sql.RateNumbers]) -> list[RateRow]:
    return [RateRow(row.key, row.merchant_id, row.transactions, row.findings,
                    per_thousand(row.findings, row.transactions), row.merchant_name) for row in rows]


def ages(counts: dict[str, int]) -> list[AgeRow]:
    """Every bucket, in order, an empty one included."""
    return [AgeRow(label, counts.get(label, 0)) for label, _since, _until in AGE_BUCKETS]


def prevention(session: Session, principal: Principal, date_from: date | None, date_to: date | None,
               merchant_id: str | None = None, currency: str = "CNY",
               now: datetime | None = None) -> tuple[Period, list[PreventionRow]]:
    """The prevention lists alone (recoup.reports.prevention), of the same scope and period as `summary`."""
    principal.require(Permission.READ)
    moment = now or utcnow()
    period, scope = report_scope(session, principal, date_from, date_to, merchant_id, check_currency(currency),
                                 moment)
    return period, prevention_rows(session, scope, period, moment)
