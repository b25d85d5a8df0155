"""Daily and monthly rollups of the journal for the reports (issue 14): what the summary counts of journal
lines (the transactions of a period, and per terminal, per cashier and per merchant the base of the error
rates), kept per tenant, merchant-local day (or month), currency, merchant and terminal
(report_terminal_days, report_terminal_months) or cashier (report_cashier_days, report_cashier_months).
A year of 120 million lines at 5,000 terminals is under 2 million daily rows and 60,000 monthly ones: a
reader takes the whole months of its period from the monthly rollup and only the days at either end from
the daily one (recoup.reports.rules.spans). The refresh also flags the lines the fraud-like prevention
lists rest on (recoup.reports.flagged, report_flagged_lines).

Journal lines are only ever added (never changed nor deleted), so the rollups follow them by id: the
watermark (report_rollup_watermark) says that every line with an id up to `last_id` is counted. A reader
adds the rollup rows of its days and the lines past the watermark, counted directly (`journal_counts`):
both come from the reader's own snapshot, so the numbers are exact however stale the rollups are, and
identical to counting the journal (tests/reports/test_report_rollup.py and test_report_flagged.py prove it
on random data). Emptying every table of TABLES (the watermark included) makes the next refresh rebuild
them from the first line (migration 0013 does; so must a change of the flagged patterns' thresholds).

`refresh(database)` counts the new lines into the rollups: meant for the worker's report pass (every pass)
and after a bulk load. On PostgreSQL it first takes a SHARE lock on journal_lines, which waits for the
transactions writing lines to end: a line committed later always has a higher id than the watermark
(ids come from a sequence), so no line is ever skipped. On SQLite, the one writer (BEGIN IMMEDIATE) does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, select, text, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from recoup.db import Database
from recoup.reports import flagged
from recoup.reports.models import (
    FlaggedLine,
    JournalCashierDay,
    JournalCashierMonth,
    JournalTerminalDay,
    JournalTerminalMonth,
    RollupWatermark,
)
from recoup.reports.rules import spans
from recoup.transactions.models import JournalLine

if TYPE_CHECKING:  # recoup.reports.repository reads through this module
    from recoup.reports.repository import Scope
    from recoup.reports.rules import Period

log = logging.getLogger("recoup.reports")
J, T, K = JournalLine, JournalTerminalDay, JournalCashierDay
TM, KM = JournalTerminalMonth, JournalCashierMonth
TABLES = (RollupWatermark, JournalTerminalDay, JournalTerminalMonth, JournalCashierDay, JournalCashierMonth,
          FlaggedLine)  # what the refresh writes: emptied together, the readers count the journal alone
LOCK_TIMEOUT = "5s"  # PostgreSQL: a refresh waiting longer for an import to end gives up (the next one runs)

_SALE = "txn_type = 'SALE' AND status = 'APPROVED'"
_MONTH = {"sqlite": "date(local_date, 'start of month')", "postgresql": "CAST(date_trunc('month', local_date) AS date)"}


def _upserts(dialect: str) -> list[str]:
    """The statements that add lines (low, high] to the daily and the monthly rollups."""
    statements = []
    for grain, day in (("days", "local_date"), ("months", _MONTH[dialect])):
        statements += [
            f"INSERT INTO report_terminal_{grain} (tenant_id, local_date, currency, merchant_id, terminal_id, lines, "
            f"sales, sales_minor, refunds) SELECT tenant_id, {day}, currency, merchant_id, terminal_id, count(*), "
            f"sum(CASE WHEN {_SALE} THEN 1 ELSE 0 END), sum(CASE WHEN {_SALE} THEN amount_minor ELSE 0 END), "
            "sum(CASE WHEN txn_type = 'REFUND' AND status = 'APPROVED' THEN 1 ELSE 0 END) FROM journal_lines "
            f"WHERE id > :low AND id <= :high GROUP BY tenant_id, {day}, currency, merchant_id, terminal_id "
            "ON CONFLICT (tenant_id, local_date, currency, merchant_id, terminal_id) "
            f"DO UPDATE SET lines = report_terminal_{grain}.lines + excluded.lines, "
            f"sales = report_terminal_{grain}.sales + excluded.sales, "
            f"sales_minor = report_terminal_{grain}.sales_minor + excluded.sales_minor, "
            f"refunds = report_terminal_{grain}.refunds + excluded.refunds",
            f"INSERT INTO report_cashier_{grain} (tenant_id, local_date, currency, merchant_id, cashier_id, lines) "
            f"SELECT tenant_id, {day}, currency, merchant_id, cashier_id, count(*) FROM journal_lines "
            "WHERE id > :low AND id <= :high AND cashier_id <> '' "
            f"GROUP BY tenant_id, {day}, currency, merchant_id, cashier_id "
            "ON CONFLICT (tenant_id, local_date, currency, merchant_id, cashier_id) "
            f"DO UPDATE SET lines = report_cashier_{grain}.lines + excluded.lines",
        ]
    return statements


ANALYZE_AFTER_LINES = 100_000  # PostgreSQL: a report right after a first build planned blind took 40 s, not 1


def refresh(database: Database, chunk: int = 500_000, analyze_after: int = ANALYZE_AFTER_LINES) -> int:
    """Count the journal lines past the watermark into the rollups, `chunk` ids per transaction (so a first
    build never holds the write lock for long); returns how many ids were added. On PostgreSQL, after
    `analyze_after` lines or more, the rollup tables get fresh statistics (autovacuum would, a minute later).
    Never raises for a busy database (logged: the readers count what the rollups lack directly)."""
    added = 0
    try:
        while True:
            with database.engine.begin() as connection:
                step = _refresh(connection, chunk)
            added += step
            if step == 0:
                if added >= analyze_after and database.engine.dialect.name == "postgresql":
                    with database.engine.begin() as connection:
                        connection.execute(text(f"ANALYZE {', '.join(model.__tablename__ for model in TABLES)}"))
                return added
    except OperationalError as busy:
        log.warning("report rollups not refreshed this time: %s", str(busy).splitlines()[0][:200])
        return added


def _refresh(connection: Connection, chunk: int) -> int:
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        connection.execute(text("INSERT INTO report_rollup_watermark (id, last_id, updated_at) "
                                "VALUES (1, 0, now()) ON CONFLICT (id) DO NOTHING"))
        low = connection.execute(text("SELECT last_id FROM report_rollup_watermark WHERE id = 1 FOR UPDATE")).scalar()
        connection.execute(text("LOCK TABLE journal_lines IN SHARE MODE"))
    else:
        raw = connection.connection.dbapi_connection
        if not getattr(raw, "in_transaction", True):
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # the one writer from here on, as recoup.db.exclusive
        low = connection.execute(text("SELECT last_id FROM report_rollup_watermark WHERE id = 1")).scalar()
    start = int(low or 0)
    top = int(connection.execute(text("SELECT coalesce(max(id), 0) FROM journal_lines")).scalar() or 0)
    high = min(top, start + chunk)
    if high <= start:
        return 0
    for statement in _upserts(connection.dialect.name):
        connection.execute(text(statement), {"low": start, "high": high})
    flagged.add_lines(connection, start, high)
    connection.execute(text("INSERT INTO report_rollup_watermark (id, last_id, updated_at) "
                            "VALUES (1, :high, CURRENT_TIMESTAMP) ON CONFLICT (id) "
                            "DO UPDATE SET last_id = excluded.last_id, updated_at = excluded.updated_at"),
                       {"high": high})
    return high - start


def watermark(session: Session) -> int:
    """The last journal line id the rollups count, as the reader's snapshot sees it (0: none)."""
    return int(session.execute(select(RollupWatermark.last_id).where(RollupWatermark.id == 1)).scalar() or 0)


_TAIL_MARK = "reports_tail_mark"


def tail_mark(session: Session) -> int | None:
    """The watermark when journal lines past it exist, None when the rollups count every line (the readers then
    skip their queries of the lines past it: an empty range the planner may still walk the journal for).

    Read once per transaction: every section of one report then splits rollups and journal at the same line."""
    transaction = session.get_transaction()
    known = session.info.get(_TAIL_MARK)
    if transaction is not None and known is not None and known[0] is transaction:
        return cast(int | None, known[1])
    mark: int | None = watermark(session)
    last = session.execute(select(func.max(J.id))).scalar()
    mark = mark if last is not None and int(last) > (mark or 0) else None
    session.info[_TAIL_MARK] = (session.get_transaction(), mark)
    return mark


def _in(scope: Scope, model: Any, first: date, last: date) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        model.tenant_id == scope.tenant_id, model.currency == scope.currency,
        model.local_date >= first, model.local_date <= last]
    if scope.merchant_ids is not None:
        conditions.append(model.merchant_id.in_(list(scope.merchant_ids)))
    return conditions


def _rolled(scope: Scope, period: Period, models: tuple[Any, Any],
            columns: Callable[[Any], list[Any]]) -> list[Select[Any]]:
    """The rollup rows of the period: (day model, month model); whole months from the monthly rollup, the days
    at either end from the daily one (recoup.reports.rules.spans)."""
    day_model, month_model = models
    return [select(*columns(month_model if monthly else day_model)).where(
        *_in(scope, month_model if monthly else day_model, first, last))
        for monthly, first, last in spans(period.first, period.last)]


def _tail(scope: Scope, period: Period, mark: int | None) -> list[ColumnElement[bool]]:
    return [*_in(scope, J, period.first, period.last), J.id > (mark or 0)]


def journal_counts(session: Session, scope: Scope, period: Period, by: str) -> Select[Any]:
    """(merchant_id, key, transactions) of the period's journal lines, grouped by `by`: "terminal",
    "cashier" (lines naming one) or "merchant"; the rollups up to the watermark, the lines past it."""
    mark = tail_mark(session)
    if by == "cashier":
        rolled = _rolled(scope, period, (K, KM), lambda m: [m.merchant_id, m.cashier_id.label("key"),
                                                             m.lines.label("lines")])
        tail = select(J.merchant_id, J.cashier_id.label("key"), literal(1).label("lines")).where(
            *_tail(scope, period, mark), J.cashier_id != "")
    else:
        key_j = J.terminal_id if by == "terminal" else J.merchant_id
        rolled = _rolled(scope, period, (T, TM), lambda m: [
            m.merchant_id, (m.terminal_id if by == "terminal" else m.merchant_id).label("key"),
            m.lines.label("lines")])
        tail = select(J.merchant_id, key_j.label("key"), literal(1).label("lines")).where(*_tail(scope, period, mark))
    both = union_all(*rolled, *([tail] if mark is not None else [])).subquery()
    return (select(both.c.merchant_id, both.c.key, func.sum(both.c.lines).label("transactions"))
            .group_by(both.c.merchant_id, both.c.key))


def terminal_sums(session: Session, scope: Scope, period: Period) -> Any:
    """A subquery of (merchant_id, terminal_id, lines, sales, sales_minor, refunds) per merchant and terminal
    over the period: every line, the approved sales and their amount, the approved refunds."""
    mark = tail_mark(session)
    sale = and_(J.txn_type == "SALE", J.status == "APPROVED")
    refund = and_(J.txn_type == "REFUND", J.status == "APPROVED")
    rolled = _rolled(scope, period, (T, TM), lambda m: [m.merchant_id, m.terminal_id, m.lines, m.sales,
                                                         m.sales_minor, m.refunds])
    tail = select(J.merchant_id, J.terminal_id, literal(1).label("lines"), case((sale, 1), else_=0).label("sales"),
                  case((sale, J.amount_minor), else_=0).label("sales_minor"),
                  case((refund, 1), else_=0).label("refunds")).where(*_tail(scope, period, mark))
    both = union_all(*rolled, *([tail] if mark is not None else [])).subquery()
    return (select(both.c.merchant_id, both.c.terminal_id, func.sum(both.c.lines).label("lines"),
                   func.sum(both.c.sales).label("sales"), func.sum(both.c.sales_minor).label("sales_minor"),
                   func.sum(both.c.refunds).label("refunds"))
            .group_by(both.c.merchant_id, both.c.terminal_id).subquery())


def transactions(session: Session, scope: Scope, period: Period) -> int:
    """The number of the period's journal lines (rollups up to the watermark, then the lines past it)."""
    mark = tail_mark(session)
    rolled = sum(int(session.execute(query).scalar() or 0)
                 for query in _rolled(scope, period, (T, TM), lambda m: [func.sum(m.lines)]))
    if mark is None:
        return rolled
    tail = session.execute(select(func.count()).select_from(J).where(*_tail(scope, period, mark))).scalar()
    return rolled + int(tail or 0)
