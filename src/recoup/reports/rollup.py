"""Daily rollups of the journal for the reports (issue 14): what the summary counts of journal lines (the
transactions of a period, and per terminal, per cashier and per merchant the base of the error rates),
kept per tenant, merchant-local day, currency, merchant and terminal (report_terminal_days) or cashier
(report_cashier_days). A year of 120 million lines is some 3 million rollup rows.

Journal lines are only ever added (never changed nor deleted), so the rollups follow them by id: the
watermark (report_rollup_watermark) says that every line with an id up to `last_id` is counted. A reader
adds the rollup rows of its days and the lines past the watermark, counted directly (`journal_counts`):
both come from the reader's own snapshot, so the numbers are exact however stale the rollups are, and
identical to counting the journal (tests/reports/test_report_rollup.py proves it on random data).

`refresh(database)` counts the new lines into the rollups: run by the worker's report pass (every pass)
and after a bulk load. On PostgreSQL it first takes a SHARE lock on journal_lines, which waits for the
transactions writing lines to end: a line committed later always has a higher id than the watermark
(ids come from a sequence), so no line is ever skipped. On SQLite, the one writer (BEGIN IMMEDIATE) does.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, select, text, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from recoup.db import Database
from recoup.reports.models import JournalCashierDay, JournalTerminalDay, RollupWatermark
from recoup.transactions.models import JournalLine

if TYPE_CHECKING:  # recoup.reports.repository reads through this module
    from recoup.reports.repository import Scope
    from recoup.reports.rules import Period

log = logging.getLogger("recoup.reports")
J, T, K = JournalLine, JournalTerminalDay, JournalCashierDay
LOCK_TIMEOUT = "5s"  # PostgreSQL: a refresh waiting longer for an import to end gives up (the next one runs)

_SALE = "txn_type = 'SALE' AND status = 'APPROVED'"
_UPSERTS = (
    "INSERT INTO report_terminal_days (tenant_id, local_date, currency, merchant_id, terminal_id, lines, sales, "
    "sales_minor, refunds) "
    f"SELECT tenant_id, local_date, currency, merchant_id, terminal_id, count(*), sum(CASE WHEN {_SALE} THEN 1 "
    f"ELSE 0 END), sum(CASE WHEN {_SALE} THEN amount_minor ELSE 0 END), "
    "sum(CASE WHEN txn_type = 'REFUND' AND status = 'APPROVED' THEN 1 ELSE 0 END) FROM journal_lines "
    "WHERE id > :low AND id <= :high GROUP BY tenant_id, local_date, currency, merchant_id, terminal_id "
    "ON CONFLICT (tenant_id, local_date, currency, merchant_id, terminal_id) "
    "DO UPDATE SET lines = report_terminal_days.lines + excluded.lines, "
    "sales = report_terminal_days.sales + excluded.sales, "
    "sales_minor = report_terminal_days.sales_minor + excluded.sales_minor, "
    "refunds = report_terminal_days.refunds + excluded.refunds",
    "INSERT INTO report_cashier_days (tenant_id, local_date, currency, merchant_id, cashier_id, lines) "
    "SELECT tenant_id, local_date, currency, merchant_id, cashier_id, count(*) FROM journal_lines "
    "WHERE id > :low AND id <= :high AND cashier_id <> '' "
    "GROUP BY tenant_id, local_date, currency, merchant_id, cashier_id "
    "ON CONFLICT (tenant_id, local_date, currency, merchant_id, cashier_id) "
    "DO UPDATE SET lines = report_cashier_days.lines + excluded.lines",
)


def refresh(database: Database, chunk: int = 500_000) -> int:
    """Count the journal lines past the watermark into the rollups, `chunk` ids per transaction (so a first
    build never holds the write lock for long); returns how many ids were added. Never raises for a busy
    database (logged: the readers count what the rollups lack directly)."""
    added = 0
    try:
        while True:
            with database.engine.begin() as connection:
                step = _refresh(connection, chunk)
            added += step
            if step == 0:
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
    for statement in _UPSERTS:
        connection.execute(text(statement), {"low": start, "high": high})
    connection.execute(text("INSERT INTO report_rollup_watermark (id, last_id, updated_at) "
                            "VALUES (1, :high, CURRENT_TIMESTAMP) ON CONFLICT (id) "
                            "DO UPDATE SET last_id = excluded.last_id, updated_at = excluded.updated_at"),
                       {"high": high})
    return high - start


def watermark(session: Session) -> int:
    """The last journal line id the rollups count, as the reader's snapshot sees it (0: none)."""
    return int(session.execute(select(RollupWatermark.last_id).where(RollupWatermark.id == 1)).scalar() or 0)


def _in(scope: Scope, model: Any, period: Period) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        model.tenant_id == scope.tenant_id, model.currency == scope.currency,
        model.local_date >= period.first, model.local_date <= period.last]
    if scope.merchant_ids is not None:
        conditions.append(model.merchant_id.in_(list(scope.merchant_ids)))
    return conditions


def journal_counts(session: Session, scope: Scope, period: Period, by: str) -> Select[Any]:
    """(merchant_id, key, transactions) of the period's journal lines, grouped by `by`: "terminal",
    "cashier" (lines naming one) or "merchant"; the rollups up to the watermark, the lines past it."""
    mark = watermark(session)
    if by == "cashier":
        rolled = select(K.merchant_id, K.cashier_id.label("key"), K.lines.label("lines")).where(
            *_in(scope, K, period))
        tail = select(J.merchant_id, J.cashier_id.label("key"), literal(1).label("lines")).where(
            *_in(scope, J, period), J.id > mark, J.cashier_id != "")
    else:
        key_t, key_j = (T.terminal_id, J.terminal_id) if by == "terminal" else (T.merchant_id, J.merchant_id)
        rolled = select(T.merchant_id, key_t.label("key"), T.lines.label("lines")).where(*_in(scope, T, period))
        tail = select(J.merchant_id, key_j.label("key"), literal(1).label("lines")).where(
            *_in(scope, J, period), J.id > mark)
    both = union_all(rolled, tail).subquery()
    return (select(both.c.merchant_id, both.c.key, func.sum(both.c.lines).label("transactions"))
            .group_by(both.c.merchant_id, both.c.key))


def terminal_sums(session: Session, scope: Scope, period: Period) -> Any:
    """A subquery of (merchant_id, terminal_id, lines, sales, sales_minor, refunds) per merchant and terminal
    over the period: every line, the approved sales and their amount, the approved refunds."""
    mark = watermark(session)
    sale = and_(J.txn_type == "SALE", J.status == "APPROVED")
    refund = and_(J.txn_type == "REFUND", J.status == "APPROVED")
    rolled = select(T.merchant_id, T.terminal_id, T.lines, T.sales, T.sales_minor, T.refunds).where(
        *_in(scope, T, period))
    tail = select(J.merchant_id, J.terminal_id, literal(1).label("lines"), case((sale, 1), else_=0).label("sales"),
                  case((sale, J.amount_minor), else_=0).label("sales_minor"),
                  case((refund, 1), else_=0).label("refunds")).where(*_in(scope, J, period), J.id > mark)
    both = union_all(rolled, tail).subquery()
    return (select(both.c.merchant_id, both.c.terminal_id, func.sum(both.c.lines).label("lines"),
                   func.sum(both.c.sales).label("sales"), func.sum(both.c.sales_minor).label("sales_minor"),
                   func.sum(both.c.refunds).label("refunds"))
            .group_by(both.c.merchant_id, both.c.terminal_id).subquery())


def transactions(session: Session, scope: Scope, period: Period) -> int:
    """The number of the period's journal lines (rollups up to the watermark, then the lines past it)."""
    mark = watermark(session)
    rolled = session.execute(select(func.sum(T.lines)).where(*_in(scope, T, period))).scalar()
    tail = session.execute(select(func.count()).select_from(J).where(*_in(scope, J, period), J.id > mark)).scalar()
    return int(rolled or 0) + int(tail or 0)
