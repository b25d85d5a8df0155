"""Each role's dashboard charts (issue 14): the two or three a person in that role looks at first, counted
with the report's SQL aggregations (only what the role's charts need) and drawn as the report's SVGs.

- merchant finance: amounts at stake vs recovered per week + ageing of open cases;
- cashier: findings per week + findings by kind (of their merchants: no user is linked to a cashier id);
- acquirer operations and provider support: worst merchants, worst terminals + the recovery funnel;
- auditor: the recovery rate per week + the recovery funnel;
- admin: amounts per week, ageing and the funnel.
Weekly charts cover the last WEEKS weeks (Monday first, this week included); the others the last 30 days.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.auth.roles import Permission, Role
from recoup.reports import repository as sql
from recoup.reports.charts import Chart, ageing_chart, funnel_chart, kind_chart, worst_chart
from recoup.reports.dashboard_charts import (
    Week,
    amounts_chart,
    findings_chart,
    monday,
    recovery_rate_chart,
    weeks,
)
from recoup.reports.rules import DEFAULT_ZONE, Period, check_period, default_range
from recoup.reports.service import ages, rates
from recoup.reports.summary import Funnel, KindRow
from recoup.reports.tables import money_formatter, translator

WEEKS = 8
CHARTS: dict[Role, tuple[str, ...]] = {
    Role.MERCHANT_FINANCE: ("amounts", "ageing"),
    Role.CASHIER: ("findings", "kinds"),
    Role.ACQUIRER_OPS: ("worst_merchants", "worst_terminals", "funnel"),
    Role.PROVIDER_SUPPORT: ("worst_merchants", "worst_terminals", "funnel"),
    Role.AUDITOR: ("recovery_rate", "funnel"),
    Role.ADMIN: ("amounts", "ageing", "funnel"),
}


def role_charts(session: Session, principal: Principal, now: datetime, locale: str,
                currency: str = "CNY") -> list[Chart]:
    """The charts of the caller's role, in the order CHARTS names them."""
    principal.require(Permission.READ)
    t, money = translator(locale), money_formatter(locale, currency)
    scope = sql.Scope.of(principal, None, currency)
    first, last = default_range(now, DEFAULT_ZONE)
    month = check_period(first, last, DEFAULT_ZONE)
    today = now.astimezone(ZoneInfo(DEFAULT_ZONE)).date()
    recent = Period(monday(today) - timedelta(weeks=WEEKS - 1), today, DEFAULT_ZONE)

    def weekly() -> list[Week]:
        return weeks(recent.first, recent.last, sql.by_day(session, scope, recent),
                     sql.cases_by_day(session, scope, recent))

    draw: dict[str, Callable[[], Chart]] = {
        "amounts": lambda: amounts_chart(weekly(), t, money),
        "findings": lambda: findings_chart(weekly(), t),
        "recovery_rate": lambda: recovery_rate_chart(weekly(), t),
        "ageing": lambda: ageing_chart(ages(sql.ageing(session, scope, month, month.as_of(now))), t),
        "kinds": lambda: kind_chart([KindRow(row.kind, row.findings, row.cases, row.at_stake_minor,
                                             row.recovered_minor) for row in sql.by_kind(session, scope, month)],
                                    t, money),
        "funnel": lambda: funnel_chart(Funnel(*sql.funnel(session, scope, month)), t),
        "worst_merchants": lambda: worst_chart("worst-merchants", t("Worst merchants (findings per 1,000 "
                                                                    "transactions)"),
                                               rates(sql.worst_merchants(session, scope, month))[:5], t,
                                               by_merchant=True),
        "worst_terminals": lambda: worst_chart("worst-terminals", t("Worst terminals (findings per 1,000 "
                                                                    "transactions)"),
                                               rates(sql.worst_terminals(session, scope, month))[:5], t),
    }
    return [draw[name]() for name in CHARTS[principal.role]]
