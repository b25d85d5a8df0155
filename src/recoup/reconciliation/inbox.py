"""The findings inbox: stored findings in the caller's scope, filtered, sorted and paged.

Shared by the API (/api/v1/findings: `list_findings`, in the CSV's order unless a sort is asked) and the
page (/findings: `finding_page`, 50 a page with counts by kind and each row's links). Every query starts
from recoup.auth.scoping.scoped, so the caller's tenant and merchants always apply. Built for 100,000
findings and more (bench/findings_list.py): the page's rows are chosen by ids read from an index
(ix_findings_tenant_day and friends, see models.py), then completed in one query.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, CompoundSelect, Row, Select, and_, bindparam, func, or_, select, tuple_
from sqlalchemy.orm import Session, aliased

from recoup.auth.principal import Principal
from recoup.auth.scoping import scoped
from recoup.bounds import day_after
from recoup.cases.models import Case
from recoup.merchants.models import Merchant
from recoup.reconciliation.models import StoredFinding
from recoup.transactions.models import JournalLine, SettlementLine

F = StoredFinding
PAGE_SIZE = 50
DEFAULT_SORT = "-day"  # the page's: newest transaction first
DEFAULT_ZONE = "Asia/Shanghai"  # a merchant without a (known) zone: SPEC's default
# The columns a person may sort the page by (?sort=charged, ?sort=-charged for the other way).
SORTS: dict[str, Any] = {
    "day": F.txn_time, "kind": F.kind, "merchant": F.merchant_id, "terminal": F.terminal_id,
    "at_stake": func.abs(F.difference_minor), "charged": F.charged_minor, "rrn": F.rrn,
}


@dataclass(frozen=True)
class FindingFilter:
    kind: str | None = None
    merchant_id: str | None = None
    date_from: date | None = None  # days in each merchant's own zone, of the finding's transaction
    date_to: date | None = None
    min_minor: int | None = None  # on the amount at stake: the absolute difference
    max_minor: int | None = None
    limit: int = 100
    offset: int = 0
    rrn: str | None = None  # the finding's RRN or its related RRN
    last4: str | None = None  # the card's last four digits, from the journal or settlement line
    terminal_id: str | None = None
    merchant: str | None = None  # a merchant id, or part of its name
    cause: str | None = None
    min_charged_minor: int | None = None  # on the amount that moved (was charged, cleared or refunded)
    max_charged_minor: int | None = None
    sort: str = ""  # one of SORTS, "-" first for descending; "" the CSV's order (kind, rrn, order_no)


@dataclass(frozen=True)
class FindingRow:
    """One line of the page: the finding and what it links to, all read by the page's one query."""

    finding: StoredFinding
    merchant_name: str | None
    merchant_zone: str | None
    journal_id: int | None
    settlement_id: int | None
    case_number: str | None


@dataclass
class FindingPage:
    rows: list[FindingRow]
    total: int
    page: int
    pages: int
    counts: dict[str, int] = field(default_factory=dict)  # by kind, with every filter but the kind


def _matches(wanted: FindingFilter, session: Session, principal: Principal) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if wanted.kind:
        found.append(F.kind == wanted.kind.upper())
    if wanted.cause:
        found.append(F.cause == wanted.cause.upper())
    if wanted.merchant_id:
        found.append(F.merchant_id == wanted.merchant_id)
    if wanted.merchant:
        found.append(F.merchant_id.in_(_merchants_named(session, principal.tenant_id, wanted.merchant)))
    if wanted.terminal_id:
        found.append(F.terminal_id == wanted.terminal_id)
    if wanted.rrn:
        found.append(or_(F.rrn == wanted.rrn, F.related_rrn == wanted.rrn))
    if wanted.last4:
        found.append(_card_ending(session, principal.tenant_id, wanted.last4))
    if wanted.date_from or wanted.date_to:
        found.append(_days(session, principal, wanted.date_from, wanted.date_to))
    found.extend(_amounts(func.abs(F.difference_minor), wanted.min_minor, wanted.max_minor))
    found.extend(_amounts(F.charged_minor, wanted.min_charged_minor, wanted.max_charged_minor))
    return found


def _amounts(column: Any, low: int | None, high: int | None) -> list[ColumnElement[bool]]:
    return ([column >= low] if low is not None else []) + ([column <= high] if high is not None else [])


def _merchants_named(session: Session, tenant_id: int, text: str) -> list[str]:
    """The id typed, and the tenant's merchants whose name holds the text (read first: the findings' merchant
    index then answers, where an OR with a subquery would read every finding)."""
    named = session.execute(select(Merchant.merchant_id).where(
        Merchant.tenant_id == tenant_id, Merchant.name.contains(text, autoescape=True))).scalars()
    return sorted({text, *named})


CARD_KEYS_READ = 5000  # more transactions than that with one card ending: the findings look them up instead


def card_ending_lines(tenant_id: int, last4: str) -> CompoundSelect[str, str]:
    """(RRN, terminal) of the tenant's journal and settlement lines paid by a card with that ending (the
    card ending indexes answer)."""
    lines = [select(model.rrn, model.terminal_id).where(model.tenant_id == tenant_id, model.card_last4 == last4,
                                                        model.rrn != "")
             for model in (JournalLine, SettlementLine)]
    return lines[0].union(lines[1])


def _card_ending(session: Session, tenant_id: int, last4: str) -> ColumnElement[bool]:
    """Findings whose transaction (terminal and RRN) the journal or the settlement shows paid by a card with
    that ending. The few transactions are read first, so the findings' RRN index answers."""
    both = card_ending_lines(tenant_id, last4)
    keys = [tuple(key) for key in session.execute(both.limit(CARD_KEYS_READ + 1)).tuples()]
    if len(keys) > CARD_KEYS_READ:
        return tuple_(F.rrn, F.terminal_id).in_(both)
    return and_(F.rrn.in_(sorted({rrn for rrn, _ in keys})), tuple_(F.rrn, F.terminal_id).in_(keys))


def _days(session: Session, principal: Principal, first: date | None, last: date | None) -> ColumnElement[bool]:
    """The transaction's day in its merchant's zone (a finding without a transaction time: the day it was
    first seen); merchants are grouped by zone, so most tenants get one range on the time index."""
    return days_in_zones(zone_groups(session, principal.tenant_id), first, last)


def zone_groups(session: Session, tenant_id: int) -> dict[str, list[str]]:
    """The tenant's merchants by time zone ("": none given)."""
    zones: dict[str, list[str]] = {}
    for merchant_id, zone_name in session.execute(select(Merchant.merchant_id, Merchant.timezone)
                                                  .where(Merchant.tenant_id == tenant_id)).tuples():
        zones.setdefault(zone_name or "", []).append(merchant_id)
    return zones


def days_in_zones(zones: dict[str, list[str]], first: date | None, last: date | None) -> ColumnElement[bool]:
    """The findings of the days `first`..`last`, each merchant's days in its zone (`zone_groups`)."""
    if len(zones) <= 1:
        return day_window(next(iter(zones), ""), first, last)
    return or_(*(and_(F.merchant_id.in_(ids), day_window(name, first, last)) for name, ids in sorted(zones.items())))


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def day_window(zone_name: str, first: date | None, last: date | None) -> ColumnElement[bool]:
    local = _zone(zone_name)
    start = datetime.combine(first, time.min, local) if first else None
    following = day_after(last) if last else None  # none after 9999-12-31: no end
    end = datetime.combine(following, time.min, local) if following else None

    def within(column: Any) -> list[ColumnElement[bool]]:
        return ([column >= start] if start else []) + ([column < end] if end else [])

    return or_(and_(*within(F.txn_time)), and_(F.txn_time.is_(None), *within(F.first_seen_at)))


def _ordering(sort: str) -> list[Any]:
    key = sort.lstrip("-")
    if key not in SORTS:
        return [F.kind, F.rrn, F.order_no, F.id]
    column, descending = SORTS[key], sort.startswith("-")
    if key == "day":  # no time (an unpaid order) sorts as the earliest, on both engines
        return [column.desc().nulls_last(), F.id.desc()] if descending else [column.asc().nulls_first(), F.id]
    return [column.desc(), F.id.desc()] if descending else [column.asc(), F.id]


def _query(session: Session, principal: Principal, wanted: FindingFilter) -> Select[Any]:
    return scoped(F, principal).where(*_matches(wanted, session, principal))


def _counts(session: Session, query: Select[Any]) -> dict[str, int]:
    rows = session.execute(query.with_only_columns(F.kind, func.count()).group_by(F.kind).order_by(None)).tuples()
    return {str(kind): int(count) for kind, count in rows}


# What the API shows of a finding (recoup.reconciliation.api.finding_json): read as plain rows, not ORM objects
# (a page is 50 findings; their identity map and unused columns cost more than the query).
API_COLUMNS: tuple[Any, ...] = (
    F.finding_id, F.kind, F.cause, F.merchant_id, F.terminal_id, F.rrn, F.related_rrn, F.order_no, F.charged_minor,
    F.expected_minor, F.difference_minor, F.currency, F.confidence, F.reason_codes, F.explanation, F.case_id)


def list_findings(session: Session, principal: Principal, wanted: FindingFilter) -> tuple[int, list[Row[Any]]]:
    """The API's: how many match, and the asked slice of them (rows of API_COLUMNS)."""
    if replace(wanted, limit=0, offset=0, sort="") == _UNFILTERED:
        return _unfiltered(session, principal, wanted)
    query = _query(session, principal, wanted)
    total = session.execute(query.with_only_columns(func.count()).order_by(None)).scalar_one()
    page = query.with_only_columns(*API_COLUMNS).order_by(*_ordering(wanted.sort))
    rows = session.execute(page.limit(max(1, min(wanted.limit, 1000))).offset(max(0, wanted.offset)))
    return int(total), list(rows)


_UNFILTERED = FindingFilter(limit=0, offset=0)


@lru_cache(maxsize=64)  # a few shapes: merchant scope or not, times the sorts
def _unfiltered_statements(limited: bool, sort: str) -> tuple[Select[Any], Select[Any]]:
    """The count and the page of every finding in scope (GET /findings with only a page, and perhaps a sort),
    built once per shape: the tenant, merchants, limit and offset are parameters."""
    query = select(*API_COLUMNS).where(F.tenant_id == bindparam("tenant_id"))
    if limited:
        query = query.where(F.merchant_id.in_(bindparam("merchant_ids", expanding=True)))
    page = query.order_by(*_ordering(sort)).limit(bindparam("limit")).offset(bindparam("offset"))
    return query.with_only_columns(func.count()), page


def _unfiltered(session: Session, principal: Principal, wanted: FindingFilter) -> tuple[int, list[Row[Any]]]:
    count, page = _unfiltered_statements(principal.limited_to_merchants, wanted.sort)
    values: dict[str, Any] = {"tenant_id": principal.tenant_id}
    if principal.limited_to_merchants:
        values["merchant_ids"] = sorted(principal.merchant_ids)
    total = session.execute(count, values).scalar_one()
    rows = session.execute(page, {**values, "limit": max(1, min(wanted.limit, 1000)),
                                  "offset": max(0, wanted.offset)})
    return int(total), list(rows)


def kind_counts(session: Session, principal: Principal, wanted: FindingFilter | None = None) -> dict[str, int]:
    """How many findings of each kind match the filters (all of the caller's without any)."""
    return _counts(session, _query(session, principal, wanted or FindingFilter()))


def finding_page(session: Session, principal: Principal, wanted: FindingFilter, page: int) -> FindingPage:
    """One page of PAGE_SIZE findings (a page past the end shows the last), the total and the counts by kind."""
    any_kind = _query(session, principal, replace(wanted, kind=None))  # the counts by kind: every other filter
    counts = _counts(session, any_kind)
    total = counts.get(wanted.kind.upper(), 0) if wanted.kind else sum(counts.values())
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    ordering = _ordering(wanted.sort or DEFAULT_SORT)
    matching = any_kind.where(F.kind == wanted.kind.upper()) if wanted.kind else any_kind
    chosen = (matching.with_only_columns(F.id).order_by(*ordering)
              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE).subquery())
    query = (select(F, Merchant.name, Merchant.timezone, _line_id(JournalLine), _line_id(SettlementLine),
                    func.coalesce(Case.number, _case_by_rrn()))
             .join(chosen, chosen.c.id == F.id)
             .outerjoin(Merchant, Merchant.merchant_id == F.merchant_id)
             .outerjoin(Case, Case.id == F.case_id).order_by(*ordering))
    rows = [FindingRow(*row) for row in session.execute(query).tuples()]
    return FindingPage(rows, total, page, pages, counts)


def _line_id(model: type[JournalLine] | type[SettlementLine]) -> Any:
    """The first stored line of the finding's transaction (same tenant, terminal and RRN), if any."""
    return (select(func.min(model.id))
            .where(model.tenant_id == F.tenant_id, model.rrn == F.rrn, model.terminal_id == F.terminal_id,
                   model.rrn != "")
            .correlate(F).scalar_subquery())


def _case_by_rrn() -> Any:
    """A case of the finding's merchant about its RRN, when the finding itself names none."""
    other = aliased(Case)
    return (select(func.min(other.number))
            .where(other.tenant_id == F.tenant_id, other.merchant_id == F.merchant_id, other.rrn == F.rrn,
                   other.rrn != "")
            .correlate(F).scalar_subquery())
