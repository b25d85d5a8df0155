"""Use cases over stored transactions: search results and everything known about one transaction
(its settlement, order, voids and refunds, and the findings and cases that name it)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.auth.scoping import scoped
from recoup.cases.models import Case, CaseKey
from recoup.cases.opening import at_stake_minor, txn_case_key
from recoup.cases.repository import scoped_cases
from recoup.merchants.models import Merchant
from recoup.reconciliation.models import StoredFinding
from recoup.transactions.layouts import journal_row, order_row, row_of, settlement_row
from recoup.transactions.models import JournalLine, Order, SettlementLine
from recoup.transactions.repository import (
    get_journal_line,
    get_settlement_line,
    journal_of,
    merchant_timezones,
    order_of,
    related_lines,
    sales_of_order,
    settlement_of,
)
from recoup.transactions.search import SearchFilters, search_query

STREAM_BATCH = 2000
PAGE_SIZE = 50


def search_rows(session: Session, principal: Principal, filters: SearchFilters, *, limit: int | None = None,
                offset: int = 0, newest_first: bool = False) -> Iterator[dict[str, object]]:
    """Rows of the search in their SPEC layout, streamed (no limit: everything in the caller's scope)."""
    principal.require(Permission.READ)
    zones = merchant_timezones(session, principal)
    query = search_query(principal, filters, newest_first=newest_first).offset(offset)
    if limit is not None and limit <= STREAM_BATCH:
        # A page (the API's: at most 1,001 rows) is read at once: streamed, PostgreSQL would open a transaction
        # and a server-side cursor for it (BEGIN, DECLARE, FETCH, CLOSE, COMMIT) on every search.
        result = session.execute(query.limit(limit)).scalars()
    else:
        query = query if limit is None else query.limit(limit)
        result = session.execute(query.execution_options(yield_per=STREAM_BATCH)).scalars()
    for item in result:
        yield row_of(item, zones)


@dataclass
class ResultPage:
    """One page of a search: its rows, how many match in all, the page shown and the merchants' names."""

    rows: list[dict[str, object]]
    total: int
    page: int
    pages: int
    merchant_names: dict[str, str] = field(default_factory=dict)
    zones: dict[str, str] = field(default_factory=dict)


def search_page_rows(session: Session, principal: Principal, filters: SearchFilters, *, sort: str = "",
                     page: int = 1, page_size: int = PAGE_SIZE) -> ResultPage:
    """The `page`-th page (from 1; past the end: the last) of the search, sorted by `sort` (search.SORTS)
    or newest first, with the total count."""
    principal.require(Permission.READ)
    query = search_query(principal, filters, newest_first=True, sort=sort)
    total = int(session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one())
    pages = max(1, -(-total // page_size))
    page = min(max(page, 1), pages)
    zones = merchant_timezones(session, principal)
    items = session.execute(query.offset((page - 1) * page_size).limit(page_size)).scalars()
    rows = [row_of(item, zones) for item in items]
    return ResultPage(rows, total, page, pages, _merchant_names(session, principal, rows), zones)


def _merchant_names(session: Session, principal: Principal, rows: list[dict[str, object]]) -> dict[str, str]:
    ids = sorted({str(row["merchant_id"]) for row in rows})
    if not ids:
        return {}
    query = select(Merchant.merchant_id, Merchant.name).where(Merchant.tenant_id == principal.tenant_id,
                                                            Merchant.merchant_id.in_(ids))
    return {str(merchant_id): str(name) for merchant_id, name in session.execute(query).tuples()}


@dataclass
class TransactionDetail:
    """A journal line (or a settlement line without one) with everything linked to it."""

    journal: dict[str, object] | None
    flagged_stopped: bool = False
    settlement: list[dict[str, object]] = field(default_factory=list)
    order: dict[str, object] | None = None
    order_payments: list[dict[str, object]] = field(default_factory=list)
    related: list[dict[str, object]] = field(default_factory=list)
    journal_lines: list[dict[str, object]] = field(default_factory=list)  # for a settlement line
    # For the page (the API leaves these out): the merchant's zone and name, the findings that name the
    # transaction with their amount at stake, the cases that follow it, and the one that claims it (one
    # case per transaction: opening another is refused).
    zone: str = "Asia/Shanghai"
    merchant_name: str = ""
    findings: list[tuple[StoredFinding, int]] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    claimed_by: Case | None = None
    order_named: str = ""  # the order a finding names, when it is not among the imported orders


def _order_part(session: Session, principal: Principal, order: Order | None, zone: str,
                ) -> tuple[dict[str, object] | None, list[dict[str, object]]]:
    if order is None:
        return None, []
    return order_row(order, zone), [journal_row(s, zone) for s in sales_of_order(session, principal, order)]


def _linked(session: Session, principal: Principal, detail: TransactionDetail, merchant_id: str, rrn: str,
            order_no: str) -> TransactionDetail:
    """The detail with its merchant, findings, cases and order (the line's, else the one a finding names)."""
    zone = detail.zone
    merchant = session.get(Merchant, merchant_id)
    detail.merchant_name = merchant.name if merchant is not None else ""
    findings = findings_naming(session, principal, merchant_id, rrn, order_no)
    detail.findings = [(finding, at_stake_minor(finding)) for finding in findings]
    detail.cases = cases_following(session, principal, merchant_id, rrn, {f.case_id for f in findings if f.case_id})
    detail.claimed_by = claiming_case(session, principal, merchant_id, rrn)
    named = [order_no] + [f.order_no for f in findings if f.order_no and f.order_no != order_no]
    for number in dict.fromkeys(n for n in named if n):
        order = order_of(session, principal, merchant_id, number)
        if order is not None:
            detail.order, detail.order_payments = _order_part(session, principal, order, zone)
            break
    else:
        detail.order_named = next((n for n in named if n), "")
    return detail


def journal_detail(session: Session, principal: Principal, line_id: int) -> TransactionDetail:
    principal.require(Permission.READ)
    line: JournalLine = get_journal_line(session, principal, line_id)
    zone = merchant_timezones(session, principal).get(line.merchant_id, "Asia/Shanghai")
    detail = TransactionDetail(
        journal=journal_row(line, zone), flagged_stopped=line.flagged_stopped,
        settlement=[settlement_row(s, zone) for s in settlement_of(session, principal, line)],
        related=[journal_row(r, zone) for r in related_lines(session, principal, line)], zone=zone,
    )
    return _linked(session, principal, detail, line.merchant_id, line.rrn, line.order_no)


def settlement_detail(session: Session, principal: Principal, line_id: int) -> TransactionDetail:
    principal.require(Permission.READ)
    line: SettlementLine = get_settlement_line(session, principal, line_id)
    zone = merchant_timezones(session, principal).get(line.merchant_id, "Asia/Shanghai")
    detail = TransactionDetail(
        journal=None, settlement=[settlement_row(line, zone)], zone=zone,
        journal_lines=[journal_row(j, zone) for j in journal_of(session, principal, line)],
    )
    return _linked(session, principal, detail, line.merchant_id, line.rrn, line.order_no)


def findings_naming(session: Session, principal: Principal, merchant_id: str, rrn: str,
                    order_no: str = "") -> list[StoredFinding]:
    """The caller's findings that name this transaction: by its RRN (or as the related one), or, for a
    finding about an order alone (no RRN), by the order number."""
    conditions: list[ColumnElement[bool]] = []
    if rrn:
        conditions += [StoredFinding.rrn == rrn, StoredFinding.related_rrn == rrn]
    if order_no:
        conditions.append((StoredFinding.rrn == "") & (StoredFinding.order_no == order_no))
    if not conditions:
        return []
    query = scoped(StoredFinding, principal).where(StoredFinding.merchant_id == merchant_id, or_(*conditions))
    return list(session.execute(query.order_by(StoredFinding.first_seen_at, StoredFinding.id)).scalars())


def cases_following(session: Session, principal: Principal, merchant_id: str, rrn: str,
                    case_ids: set[int]) -> list[Case]:
    """The caller's cases about this transaction: naming its RRN, claiming it, or opened by its findings."""
    conditions: list[ColumnElement[bool]] = [Case.id.in_(sorted(case_ids))] if case_ids else []
    if rrn:
        claims = select(CaseKey.case_id).where(CaseKey.tenant_id == principal.tenant_id,
                                               CaseKey.key == txn_case_key(merchant_id, rrn))
        conditions += [Case.rrn == rrn, Case.related_rrn == rrn, Case.id.in_(claims)]
    if not conditions:
        return []
    query = scoped_cases(principal).where(Case.merchant_id == merchant_id, or_(*conditions))
    return list(session.execute(query.order_by(Case.id)).scalars())


def claiming_case(session: Session, principal: Principal, merchant_id: str, rrn: str) -> Case | None:
    """The case that holds this transaction (cases.opening refuses a second one), if the caller sees it."""
    if not rrn:
        return None
    claims = select(CaseKey.case_id).where(CaseKey.tenant_id == principal.tenant_id,
                                           CaseKey.key == txn_case_key(merchant_id, rrn))
    return session.execute(scoped_cases(principal).where(Case.id.in_(claims)).limit(1)).scalar_one_or_none()
