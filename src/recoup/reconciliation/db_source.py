"""Fill the engine's relations from the stored transactions in the caller's scope (`reconcile --db`).

Rows go through a temporary CSV file that DuckDB reads in one pass: far faster than row inserts.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.merchants.models import Merchant
from recoup.merchants.repository import scoped_merchants
from recoup.reconciliation.relations import RELATION_COLUMNS, create_table_sql
from recoup.scratch import scratch_folder
from recoup.transactions.models import JournalLine, Order, SettlementLine

AnySelect = Select[*tuple[Any, ...]]


@dataclass(frozen=True)
class DbScope:
    merchant_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    return "" if value is None else value


def _copy(con: duckdb.DuckDBPyConnection, relation: str, rows: Iterable[Sequence[object]], folder: Path) -> int:
    names = [name for name, _ in RELATION_COLUMNS[relation]]
    path = folder / f"{relation}.csv"
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(names)
        for count, row in enumerate(rows, start=1):
            writer.writerow([count, *(_cell(v) for v in row)])
    con.execute(create_table_sql(relation))
    types = ", ".join(f"'{name}': '{sql_type}'" for name, sql_type in RELATION_COLUMNS[relation])
    con.execute(f"INSERT INTO {relation} SELECT * FROM read_csv('{path}', header = true, "
                f"columns = {{{types}}}, nullstr = '', quote = '\"', escape = '\"')")
    return count


def _stream(session: Session, query: AnySelect) -> Iterator[Sequence[object]]:
    for row in session.execute(query.execution_options(yield_per=5000)):
        yield tuple(row)


def _in_scope(query: AnySelect, model: Any, merchant_ids: list[str], scope: DbScope) -> AnySelect:
    query = query.where(model.merchant_id.in_(merchant_ids))
    if scope.date_from is not None:
        query = query.where(model.local_date >= scope.date_from)
    if scope.date_to is not None:
        query = query.where(model.local_date <= scope.date_to)
    return query


def fill_relations(con: duckdb.DuckDBPyConnection, session: Session, principal: Principal,
                   scope: DbScope) -> dict[str, int]:
    """Create the four relations from the database; returns the rows per relation."""
    merchants_query = scoped_merchants(principal)
    if scope.merchant_id:
        merchants_query = merchants_query.where(Merchant.merchant_id == scope.merchant_id)
    merchants = list(session.execute(merchants_query.order_by(Merchant.merchant_id)).scalars())
    ids = [m.merchant_id for m in merchants]
    tenant = principal.tenant_id
    counts: dict[str, int] = {}
    with scratch_folder("db-reconcile") as folder:
        where = Path(folder)
        counts["merchants"] = _copy(con, "merchants", (
            (m.merchant_id, m.name, m.mcc, m.timezone, str(m.tenant_id)) for m in merchants), where)
        counts["orders"] = _copy(con, "orders", _stream(session, _in_scope(select(
            Order.order_no, Order.merchant_id, Order.terminal_id, Order.created_at, Order.local_date,
            Order.expected_minor, Order.currency, Order.cashier_id).where(Order.tenant_id == tenant),
            Order, ids, scope)), where)
        counts["journal"] = _copy(con, "journal", _stream(session, _in_scope(select(
            JournalLine.merchant_id, JournalLine.terminal_id, JournalLine.txn_time, JournalLine.local_date,
            JournalLine.txn_type, JournalLine.status, JournalLine.amount_minor, JournalLine.currency,
            JournalLine.rrn, JournalLine.stan, JournalLine.auth_code, JournalLine.card_masked,
            JournalLine.card_token, JournalLine.order_no, JournalLine.cashier_id, JournalLine.orig_rrn,
            JournalLine.batch_no).where(JournalLine.tenant_id == tenant), JournalLine, ids, scope)), where)
        counts["settlement"] = _copy(con, "settlement", _stream(session, _in_scope(select(
            SettlementLine.settle_date, SettlementLine.merchant_id, SettlementLine.merchant_name,
            SettlementLine.mcc, SettlementLine.terminal_id, SettlementLine.txn_time, SettlementLine.local_date,
            SettlementLine.txn_type, SettlementLine.rrn, SettlementLine.card_masked, SettlementLine.card_token,
            SettlementLine.amount_minor, SettlementLine.fee_minor, SettlementLine.net_minor,
            SettlementLine.currency, SettlementLine.order_no, SettlementLine.stan,
        ).where(SettlementLine.tenant_id == tenant), SettlementLine, ids, scope)), where)
    return counts
