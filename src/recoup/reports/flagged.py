"""The flagged journal lines of the fraud-like prevention lists (issue 14): the few lines each of those lists
rests on, copied into report_flagged_lines by the rollup refresh (recoup.reports.rollup) so that a year's
lists read a few rows instead of the year's journal. A pattern, once true of a line, stays true (journal
lines are only ever added), so the rows follow the lines by id as the other rollups do:

- "refund": every approved refund, with its amount (the large refunds: an index range over the amount);
- "other_card": an approved refund and a sale it names (same merchant, RRN = the refund's original RRN) on
  another card; "void_own": an approved void and a sale it names made by the same cashier within
  VOID_WINDOW_MINUTES (plus a minute) before it. A pair is added by the refresh that brings its later line
  (the sale may come after the refund or the void);
- "band": an approved sale just under the no-PIN limit (recoup.reports.prevention_rules.under_limit_band);
- "burst": an approved refund with REFUND_BURST_COUNT - 1 or more other approved refunds of its terminal
  within REFUND_BURST_MINUTES (plus a minute) either side. Every refund of a burst is one, so the largest
  burst of any period is found among them alone, with the same size and the same first moment.

Each reader adds the rows of the period to what the lines past the watermark give when counted directly,
exactly as recoup.reports.rollup does (tests/reports/test_report_rollup.py proves the lists equal). The
"band", "burst" and "void_own" rows hold the thresholds of prevention_rules: changing those means emptying the
rollups (rollup.TABLES) for the refresh to rebuild them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Interval,
    Select,
    and_,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from recoup.reports.models import FlaggedLine
from recoup.reports.prevention_rules import (
    REFUND_BURST_COUNT,
    REFUND_BURST_MINUTES,
    VOID_WINDOW_MINUTES,
    Flag,
    under_limit_band,
)
from recoup.transactions.models import JournalLine

if TYPE_CHECKING:
    from recoup.reports.repository import Scope
    from recoup.reports.rules import Period

FL, J = FlaggedLine, JournalLine
APPROVED = "APPROVED"
MARGIN_MINUTES = REFUND_BURST_MINUTES + 1  # a minute more: the window's ends are compared as text on SQLite
COLUMNS = ("pattern", "line_id", "other_id", "tenant_id", "local_date", "currency", "merchant_id", "subject",
           "detail", "rrn", "moment", "other_moment", "amount_minor")


def _row(pattern: str, line: Any, other: Any = None, subject: Any = None, detail: Any = None) -> list[Any]:
    """The columns of a flagged row copied from `line` (and `other`, the sale of a pair)."""
    return [literal(pattern), line.id, other.id if other is not None else literal(0), line.tenant_id,
            line.local_date, line.currency, line.merchant_id, subject if subject is not None else line.terminal_id,
            detail if detail is not None else literal(""), line.rrn, line.txn_time,
            other.txn_time if other is not None else cast(null(), DateTime(timezone=True)), line.amount_minor]


def _refund(line: Any) -> list[ColumnElement[bool]]:
    return [line.txn_type == "REFUND", line.status == APPROVED]


def _band(line: Any) -> list[ColumnElement[bool]]:
    low, high = under_limit_band()
    return [line.txn_type == "SALE", line.status == APPROVED, line.amount_minor >= low, line.amount_minor <= high,
            line.card_masked != ""]


def _other_card() -> tuple[Any, Any, list[ColumnElement[bool]]]:
    """(refund, sale, conditions): an approved refund and the sale it names, paid to another card (by token
    when both have one, else by the last four digits)."""
    refund, sale = aliased(J, name="refund"), aliased(J, name="sale")
    differs = or_(and_(refund.card_token.is_not(None), sale.card_token.is_not(None),
                       refund.card_token != sale.card_token),
                  and_(or_(refund.card_token.is_(None), sale.card_token.is_(None)), refund.card_last4 != "",
                       sale.card_last4 != "", refund.card_last4 != sale.card_last4))
    return refund, sale, [*_refund(refund), refund.orig_rrn != "", sale.tenant_id == refund.tenant_id,
                          sale.merchant_id == refund.merchant_id, sale.rrn == refund.orig_rrn,
                          sale.txn_type == "SALE", differs]


def _void_own(dialect: str) -> tuple[Any, Any, list[ColumnElement[bool]]]:
    """(void, sale, conditions): an approved void and the sale it names, made by the same cashier, within
    VOID_WINDOW_MINUTES of it give or take a minute (the list's rule, prevention_rules.within, then decides)."""
    void, sale = aliased(J, name="void"), aliased(J, name="sale")
    return void, sale, [void.txn_type == "VOID", void.status == APPROVED, void.orig_rrn != "", void.cashier_id != "",
                        sale.tenant_id == void.tenant_id, sale.merchant_id == void.merchant_id,
                        sale.rrn == void.orig_rrn, sale.txn_type == "SALE", sale.cashier_id == void.cashier_id,
                        void.txn_time >= _shifted(dialect, sale.txn_time, -1),
                        void.txn_time <= _shifted(dialect, sale.txn_time, VOID_WINDOW_MINUTES + 1)]


def _shifted(dialect: str, moment: Any, minutes: int) -> Any:
    if dialect == "postgresql":
        return moment + literal(timedelta(minutes=minutes), Interval())
    return func.datetime(moment, f"{minutes:+d} minutes")  # text, to the second: the extra minute covers it


def _near(dialect: str, line: Any, other: Any) -> list[ColumnElement[bool]]:
    """`line` is at `other`'s terminal within MARGIN_MINUTES of it."""
    return [line.tenant_id == other.tenant_id, line.terminal_id == other.terminal_id,
            line.txn_time >= _shifted(dialect, other.txn_time, -MARGIN_MINUTES),
            line.txn_time <= _shifted(dialect, other.txn_time, MARGIN_MINUTES)]


# --- the refresh ----------------------------------------------------------------------------------------

def _new_rows(dialect: str, low: int, high: int) -> list[Select[Any]]:
    """What lines (low, high] add: each a SELECT of COLUMNS."""
    def fresh(line: Any) -> list[ColumnElement[bool]]:
        return [line.id > low, line.id <= high]

    rows: list[Select[Any]] = [
        select(*_row("refund", J)).where(*fresh(J), *_refund(J)),
        select(*_row("band", J, None, func.coalesce(J.card_token, J.card_masked), J.card_masked)).where(
            *fresh(J), *_band(J)),
    ]
    for pattern in ("other_card", "void_own"):
        for later_is_first in (True, False):  # the pair's later line: the refund (or void), or the sale
            first, sale, conditions = _other_card() if pattern == "other_card" else _void_own(dialect)
            subject = first.terminal_id if pattern == "other_card" else first.cashier_id
            ids = ([*fresh(first), sale.id <= high] if later_is_first else [*fresh(sale), first.id <= low])
            rows.append(select(*_row(pattern, first, sale, subject)).where(*conditions, *ids))
    new, refund, other = aliased(J, name="new"), aliased(J, name="refund"), aliased(J, name="other")
    around = (select(func.count()).select_from(other)
              .where(*_refund(other), other.id <= high, *_near(dialect, other, refund)).scalar_subquery())
    rows.append(select(*_row("burst", refund)).where(
        *fresh(new), *_refund(new), *_refund(refund), refund.id <= high, *_near(dialect, refund, new),
        around >= REFUND_BURST_COUNT).distinct())
    return rows


def add_lines(connection: Connection, low: int, high: int) -> None:
    """Flag what the journal lines with an id in (low, high] make true (in the refresh's transaction)."""
    dialect = connection.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for rows in _new_rows(dialect, low, high):
        connection.execute(insert(FL).from_select(COLUMNS, rows).on_conflict_do_nothing())


# --- the readers ----------------------------------------------------------------------------------------
# `mark` is recoup.reports.rollup.tail_mark: the watermark, or None when no line lies past it. Each reader
# builds its queries of the flagged rows and, through `_with_tails`, those of the lines past the watermark
# only when there are some (an empty range the planner may still walk the journal for).

def _with_tails(rolled: list[Any], mark: int | None, tails: Callable[[int], list[Any]]) -> list[Any]:
    return rolled if mark is None else [*rolled, *tails(mark)]


def _scoped(model: Any, scope: Scope, period: Period) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        model.tenant_id == scope.tenant_id, model.currency == scope.currency,
        model.local_date >= period.first, model.local_date <= period.last]
    if scope.merchant_ids is not None:
        conditions.append(model.merchant_id.in_(list(scope.merchant_ids)))
    return conditions


def _flagged(pattern: str, scope: Scope, period: Period) -> list[ColumnElement[bool]]:
    return [FL.pattern == pattern, *_scoped(FL, scope, period)]


def refunds_to_other_cards(session: Session, scope: Scope, period: Period,
                           mark: int | None) -> set[tuple[str, str, str]]:
    """(merchant, terminal, RRN) of the period's refunds paid to another card than their sale's."""
    refund, sale, conditions = _other_card()
    named = [*conditions, *_scoped(refund, scope, period)]
    queries = _with_tails(
        [select(FL.merchant_id, FL.subject, FL.rrn).where(*_flagged("other_card", scope, period))], mark,
        lambda past: [select(refund.merchant_id, refund.terminal_id, refund.rrn).where(*named, newer)
                      for newer in (refund.id > past, sale.id > past)])
    return {(str(m), str(t), str(r)) for query in queries for m, t, r in session.execute(query)}


def voids_of_own_sales(session: Session, scope: Scope, period: Period, mark: int | None) -> list[tuple[Flag, Any]]:
    """Each (void, sale of the same cashier) pair of the period's approved voids: (the void, the sale's moment)."""
    void, sale, conditions = _void_own(session.get_bind().dialect.name)
    named = [*conditions, *_scoped(void, scope, period)]
    queries = _with_tails(
        [select(FL.merchant_id, FL.subject, FL.rrn, FL.moment, FL.other_moment).where(
            *_flagged("void_own", scope, period))], mark,
        lambda past: [select(void.merchant_id, void.cashier_id, void.rrn, void.txn_time, sale.txn_time).where(
            *named, *newer) for newer in ([void.id > past], [sale.id > past, void.id <= past])])
    return [(Flag(str(merchant), str(cashier), str(rrn), voided), sold) for query in queries
            for merchant, cashier, rrn, voided, sold in session.execute(query)]


def sales_in_band(session: Session, scope: Scope, period: Period, mark: int | None,
                  minimum: int) -> list[tuple[str, str, str, str]]:
    """(merchant, card, masked card, RRN) of the period's approved sales just under the no-PIN limit, by the
    cards that made at least `minimum` of them at a merchant (counted in the database: a year holds many)."""
    queries = _with_tails(
        [select(FL.merchant_id.label("merchant_id"), FL.subject.label("card"), FL.detail.label("masked"),
                FL.rrn.label("rrn")).where(*_flagged("band", scope, period))], mark,
        lambda past: [select(J.merchant_id, func.coalesce(J.card_token, J.card_masked), J.card_masked, J.rrn)
                      .where(*_band(J), *_scoped(J, scope, period), J.id > past)])
    both: Any = union_all(*queries) if len(queries) > 1 else queries[0]
    sales = both.cte("band_sales")
    busy = (select(sales.c.merchant_id, sales.c.card).group_by(sales.c.merchant_id, sales.c.card)
            .having(func.count() >= minimum).subquery())
    query = select(sales).join(busy, and_(busy.c.merchant_id == sales.c.merchant_id, busy.c.card == sales.c.card))
    return [(str(m), str(card), str(masked), str(rrn)) for m, card, masked, rrn in session.execute(query)]


def refunds_above(session: Session, scope: Scope, period: Period, mark: int | None,
                  threshold: int) -> list[tuple[str, str, str, int]]:
    """(merchant, terminal, RRN, amount) of the period's approved refunds above `threshold` minor units."""
    queries = _with_tails(
        [select(FL.merchant_id, FL.subject, FL.rrn, FL.amount_minor).where(
            *_flagged("refund", scope, period), FL.amount_minor > threshold)], mark,
        lambda past: [select(J.merchant_id, J.terminal_id, J.rrn, J.amount_minor).where(
            *_refund(J), *_scoped(J, scope, period), J.id > past, J.amount_minor > threshold)])
    return [(str(m), str(t), str(rrn), int(amount)) for query in queries
            for m, t, rrn, amount in session.execute(query)]


def burst_refunds(session: Session, scope: Scope, period: Period, mark: int | None) -> list[Flag]:
    """The period's approved refunds that may be part of a burst (every one that is), with their moments:
    the flagged ones, the refunds past the watermark and the older ones near those."""
    dialect = session.get_bind().dialect.name
    refund, recent = aliased(J, name="refund"), aliased(J, name="recent")
    queries = _with_tails(
        [select(FL.line_id, FL.merchant_id, FL.subject, FL.rrn, FL.moment).where(*_flagged("burst", scope, period))],
        mark,
        lambda past: [
            select(J.id, J.merchant_id, J.terminal_id, J.rrn, J.txn_time).where(
                *_refund(J), *_scoped(J, scope, period), J.id > past),
            select(refund.id, refund.merchant_id, refund.terminal_id, refund.rrn, refund.txn_time).where(
                *_refund(refund), *_scoped(refund, scope, period), refund.id <= past, *_refund(recent),
                recent.id > past, *_near(dialect, refund, recent)).distinct()])
    found = {int(line): Flag(str(m), str(t), str(rrn), moment) for query in queries
             for line, m, t, rrn, moment in session.execute(query)}
    return list(found.values())
