"""The relations the engine reads: "relations in, findings out".

Whatever fills them (the CSV loader, or later the database for --db), the engine sees these four
relations with these columns. Times are UTC instants; `local_date` is the merchant-local date of
the row's time; amounts are BIGINT minor units; `line_no` identifies a row within its relation
(the file line for CSV input) and is never used to order anything.

A source may hold a column in a narrower type that compares the same way (`fits_relation`): a file
run keeps currency, txn_type and status as ENUM types, and card tokens and masked cards as 64-bit
run hashes (they only compare cards within the run).
"""

from __future__ import annotations

RELATION_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "merchants": (
        ("line_no", "BIGINT"), ("merchant_id", "VARCHAR"), ("name", "VARCHAR"), ("mcc", "VARCHAR"),
        ("timezone", "VARCHAR"), ("tenant", "VARCHAR"),
    ),
    "orders": (
        ("line_no", "BIGINT"), ("order_no", "VARCHAR"), ("merchant_id", "VARCHAR"), ("terminal_id", "VARCHAR"),
        ("created_at", "TIMESTAMP"), ("local_date", "DATE"), ("expected_minor", "BIGINT"),
        ("currency", "VARCHAR"), ("cashier_id", "VARCHAR"),
    ),
    "journal": (
        ("line_no", "BIGINT"), ("merchant_id", "VARCHAR"), ("terminal_id", "VARCHAR"),
        ("txn_time", "TIMESTAMP"), ("local_date", "DATE"), ("txn_type", "VARCHAR"), ("status", "VARCHAR"),
        ("amount_minor", "BIGINT"), ("currency", "VARCHAR"), ("rrn", "VARCHAR"), ("stan", "VARCHAR"),
        ("auth_code", "VARCHAR"), ("card_masked", "VARCHAR"), ("card_token", "VARCHAR"),
        ("order_no", "VARCHAR"), ("cashier_id", "VARCHAR"), ("orig_rrn", "VARCHAR"), ("batch_no", "VARCHAR"),
    ),
    "settlement": (
        ("line_no", "BIGINT"), ("settle_date", "DATE"), ("merchant_id", "VARCHAR"),
        ("merchant_name", "VARCHAR"), ("mcc", "VARCHAR"), ("terminal_id", "VARCHAR"),
        ("txn_time", "TIMESTAMP"), ("local_date", "DATE"), ("txn_type", "VARCHAR"), ("rrn", "VARCHAR"),
        ("card_masked", "VARCHAR"), ("card_token", "VARCHAR"), ("amount_minor", "BIGINT"),
        ("fee_minor", "BIGINT"), ("net_minor", "BIGINT"), ("currency", "VARCHAR"), ("order_no", "VARCHAR"),
        ("stan", "VARCHAR"),
    ),
}


_ENUM_CODES = frozenset({"currency", "txn_type", "status"})
_RUN_TOKEN = "UBIGINT"


def fits_relation(relation: str, column: str, column_type: str) -> bool:
    """Whether a column of this type may stand for the declared column (the same, or narrower)."""
    declared = dict(RELATION_COLUMNS[relation])[column]
    if column_type == declared:
        return True
    if column in _ENUM_CODES:
        return column_type.startswith("ENUM(")
    return column in ("card_token", "card_masked") and column_type == _RUN_TOKEN


def create_table_sql(relation: str) -> str:
    """CREATE TABLE for one relation (for filling it from elsewhere than a CSV file)."""
    columns = ",\n  ".join(f"{name} {sql_type}" for name, sql_type in RELATION_COLUMNS[relation])
    return f"CREATE TABLE {relation} (\n  {columns}\n)"


def empty_merchants_sql() -> str:
    """An empty merchants relation, for runs without a merchant registry."""
    columns = ", ".join(f"CAST(NULL AS {sql_type}) AS {name}" for name, sql_type in RELATION_COLUMNS["merchants"])
    return f"CREATE VIEW merchants AS SELECT {columns} WHERE 1 = 0"
