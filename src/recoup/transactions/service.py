"""Use cases over stored transactions: search results and everything known about one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
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


def search_rows(session: Session, principal: Principal, filters: SearchFilters, *, limit: int | None = None,
                offset: int = 0, newest_first: bool = False) -> Iterator[dict[str, object]]:
    """Rows of the search in their SPEC layout, streamed (no limit: everything in the caller's scope)."""
    principal.require(Permission.READ)
    zones = merchant_timezones(session, principal)
    query = search_query(principal, filters, newest_first=newest_first).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    result = session.execute(query.execution_options(yield_per=STREAM_BATCH)).scalars()
    for item in result:
        yield row_of(item, zones)


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


def _order_part(session: Session, principal: Principal, order: Order | None, zone: str,
                ) -> tuple[dict[str, object] | None, list[dict[str, object]]]:
    if order is None:
        return None, []
    return order_row(order, zone), [journal_row(s, zone) for s in sales_of_order(session, principal, order)]


def journal_detail(session: Session, principal: Principal, line_id: int) -> TransactionDetail:
    principal.require(Permission.READ)
    line: JournalLine = get_journal_line(session, principal, line_id)
    zone = merchant_timezones(session, principal).get(line.merchant_id, "Asia/Shanghai")
    order, payments = _order_part(session, principal, order_of(session, principal, line.merchant_id, line.order_no),
                                  zone)
    return TransactionDetail(
        journal=journal_row(line, zone), flagged_stopped=line.flagged_stopped,
        settlement=[settlement_row(s, zone) for s in settlement_of(session, principal, line)],
        order=order, order_payments=payments,
        related=[journal_row(r, zone) for r in related_lines(session, principal, line)],
    )


def settlement_detail(session: Session, principal: Principal, line_id: int) -> TransactionDetail:
    principal.require(Permission.READ)
    line: SettlementLine = get_settlement_line(session, principal, line_id)
    zone = merchant_timezones(session, principal).get(line.merchant_id, "Asia/Shanghai")
    order, payments = _order_part(session, principal, order_of(session, principal, line.merchant_id, line.order_no),
                                  zone)
    return TransactionDetail(
        journal=None, settlement=[settlement_row(line, zone)], order=order, order_payments=payments,
        journal_lines=[journal_row(j, zone) for j in journal_of(session, principal, line)],
    )
