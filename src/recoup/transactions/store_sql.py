"""The SELECTs that turn the checked rows (DuckDB relation `good_rows`) into database rows, per kind."""

from __future__ import annotations

from dataclasses import dataclass

from recoup.transactions.csv_input import LoadResult
from recoup.transactions.csv_sql import CARRIED_TOKEN_COLUMN
from recoup.transactions.loading import bool_sql, timestamp_sql
from recoup.transactions.staging import GOOD, extra_json_sql

TOKEN_COLUMN = CARRIED_TOKEN_COLUMN  # the extra column in which the switch-log import carries its tokens

JOURNAL_COLUMNS = (
    "tenant_id", "import_id", "merchant_id", "terminal_id", "txn_time", "local_date", "txn_type", "status",
    "amount_minor", "currency", "rrn", "stan", "auth_code", "card_masked", "card_last4", "card_token",
    "order_no", "cashier_id", "orig_rrn", "batch_no", "flagged_stopped", "extra",
)
SETTLEMENT_COLUMNS = (
    "tenant_id", "import_id", "settle_date", "merchant_id", "merchant_name", "mcc", "terminal_id", "txn_time",
    "local_date", "txn_type", "rrn", "stan", "card_masked", "card_last4", "card_token", "amount_minor",
    "fee_minor", "net_minor", "currency", "order_no", "extra",
)
ORDER_COLUMNS = (
    "tenant_id", "import_id", "order_no", "merchant_id", "terminal_id", "created_at", "local_date",
    "expected_minor", "currency", "cashier_id", "contact_encrypted", "extra",
)


@dataclass(frozen=True)
class Store:
    table: str
    columns: tuple[str, ...]
    select_sql: str


def _text(column: str) -> str:
    return f"coalesce({column}, '')"


def _token(load: LoadResult) -> str:
    carried = load.extra_columns.get(TOKEN_COLUMN)
    return f"coalesce(card_token, {carried})" if carried else "card_token"


def journal_store(load: LoadResult, tenant_id: int, import_id: int, dialect: str, source: str = GOOD,
                  typed: bool = False) -> Store:
    """`typed`: the time and the date as DuckDB's TIMESTAMP (UTC) and DATE, for an encoder that writes them
    itself (copy_binary); else as the text the database column takes."""
    stopped = bool_sql("terminal_id IN (SELECT terminal_id FROM stopped_terminals)", dialect)
    values = [
        str(tenant_id), str(import_id), "merchant_id", "terminal_id",
        "txn_time" if typed else timestamp_sql("txn_time", dialect),
        "local_date" if typed else "CAST(local_date AS VARCHAR)", "txn_type", "status", "amount_minor", "currency",
        _text("rrn"),
        _text("stan"), _text("auth_code"), _text("card_masked"), _text("right(card_masked, 4)"), _token(load),
        _text("order_no"), _text("cashier_id"), _text("orig_rrn"), _text("batch_no"), stopped,
        extra_json_sql(load, frozenset({TOKEN_COLUMN})),
    ]
    return Store("journal_lines", JOURNAL_COLUMNS, f"SELECT {', '.join(values)} FROM {source}")


def settlement_store(load: LoadResult, tenant_id: int, import_id: int, dialect: str) -> Store:
    values = [
        str(tenant_id), str(import_id), "CAST(settle_date AS VARCHAR)", "merchant_id", _text("merchant_name"),
        _text("mcc"), "terminal_id", timestamp_sql("txn_time", dialect), "CAST(local_date AS VARCHAR)",
        "txn_type", "rrn", _text("stan"), _text("card_masked"), _text("right(card_masked, 4)"), "card_token",
        "amount_minor", "coalesce(fee_minor, 0)", "coalesce(net_minor, amount_minor - coalesce(fee_minor, 0))",
        "currency", _text("order_no"), extra_json_sql(load),
    ]
    return Store("settlement_lines", SETTLEMENT_COLUMNS, f"SELECT {', '.join(values)} FROM {GOOD}")


SEALED_CONTACTS = "sealed_contacts"  # DuckDB table (line_no, contact_encrypted): storing.seal_contacts


def order_store(load: LoadResult, tenant_id: int, import_id: int, dialect: str) -> Store:
    """The contact is never selected in clear: each row takes its sealed contact from SEALED_CONTACTS."""
    values = [
        str(tenant_id), str(import_id), "o.order_no", "o.merchant_id", "o.terminal_id",
        timestamp_sql("o.created_at", dialect), "CAST(o.local_date AS VARCHAR)", "o.expected_minor", "o.currency",
        _text("o.cashier_id"), "sealed.contact_encrypted", extra_json_sql(load),
    ]
    return Store("orders", ORDER_COLUMNS, f"SELECT {', '.join(values)} FROM {GOOD} AS o "
                                          f"LEFT JOIN {SEALED_CONTACTS} AS sealed ON sealed.line_no = o.line_no")
