"""The case list page's query: filters a person knows, sorting by any shown column, pages of 50, counts.

Built on recoup.cases.repository.scoped_cases, so the caller's tenant and merchants always apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.cases.models import Case
from recoup.cases.repository import STOPPED_CLOCK, scoped_cases
from recoup.merchants.models import Merchant
from recoup.web.formatting import zone

PAGE_SIZE = 50
# The list's columns a person may sort by (?sort=deadline, ?sort=-deadline for the other way).
SORTS: dict[str, Any] = {
    "number": Case.id, "kind": Case.kind, "state": Case.state, "rung": Case.rung, "merchant": Case.merchant_id,
    "at_stake": Case.at_stake_minor, "recovered": Case.recovered_minor, "owner": Case.owner,
    "deadline": Case.deadline_at, "opened": Case.opened_at,
}


@dataclass(frozen=True)
class CaseFilters:
    state: str = ""
    kind: str = ""
    rrn: str = ""
    merchant: str = ""  # the merchant's id or part of its name
    opened_from: date | None = None
    opened_to: date | None = None
    overdue: bool = False
    sort: str = "-opened"
    page: int = 1

    def query_string(self, **changes: object) -> str:
        """The list's address with these filters and some changed (paging and sorting links)."""
        values = {"state": self.state, "kind": self.kind, "rrn": self.rrn, "merchant": self.merchant,
                  "opened_from": self.opened_from or "", "opened_to": self.opened_to or "",
                  "overdue": "1" if self.overdue else "", "sort": self.sort, "page": self.page, **changes}
        from urllib.parse import urlencode

        return "?" + urlencode({k: str(v) for k, v in values.items() if v not in ("", None, 1) or k == "sort"})


@dataclass
class CasePage:
    cases: list[Case]
    total: int
    pages: int
    merchants: dict[str, Merchant] = field(default_factory=dict)


def _start_of(day: date, zone_name: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone(zone_name))


def _filtered(principal: Principal, filters: CaseFilters, now: datetime, zone_name: str) -> Any:
    query = scoped_cases(principal)
    if filters.state:
        query = query.where(Case.state == filters.state.upper())
    if filters.kind:
        query = query.where(Case.kind == filters.kind.upper())
    if filters.rrn:
        query = query.where(or_(Case.rrn == filters.rrn, Case.related_rrn == filters.rrn))
    if filters.merchant:
        names = select(Merchant.merchant_id).where(Merchant.name.contains(filters.merchant, autoescape=True))
        query = query.where(or_(Case.merchant_id == filters.merchant, Case.merchant_id.in_(names)))
    if filters.opened_from:
        query = query.where(Case.opened_at >= _start_of(filters.opened_from, zone_name))
    if filters.opened_to:
        query = query.where(Case.opened_at < _start_of(filters.opened_to + timedelta(days=1), zone_name))
    if filters.overdue:
        query = query.where(Case.deadline_at < now, Case.state.not_in(STOPPED_CLOCK))
    return query


def case_page(session: Session, principal: Principal, filters: CaseFilters, now: datetime,
              zone_name: str) -> CasePage:
    """One page of the caller's cases matching the filters, with the total and the merchants shown."""
    query = _filtered(principal, filters, now, zone_name)
    total = int(session.execute(select(func.count()).select_from(query.subquery())).scalar_one())
    pages = max(1, -(-total // PAGE_SIZE))
    column = SORTS.get(filters.sort.lstrip("-"), Case.opened_at)
    order = column.desc() if filters.sort.startswith("-") else column.asc()
    offset = (min(max(filters.page, 1), pages) - 1) * PAGE_SIZE
    rows = list(session.execute(query.order_by(order, Case.id.desc()).offset(offset).limit(PAGE_SIZE)).scalars())
    ids = sorted({case.merchant_id for case in rows})
    merchants = {m.merchant_id: m for m in session.execute(select(Merchant).where(Merchant.merchant_id.in_(ids)))
                 .scalars()} if ids else {}
    return CasePage(rows, total, pages, merchants)


def state_counts(session: Session, principal: Principal) -> dict[str, int]:
    """How many of the caller's cases are in each state (the list's counts)."""
    query = scoped_cases(principal).with_only_columns(Case.state, func.count()).group_by(Case.state)
    return {str(state): int(count) for state, count in session.execute(query).tuples()}
