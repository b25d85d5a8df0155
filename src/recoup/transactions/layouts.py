"""Stored transactions as rows in the column layouts of SPEC section 3: what exports print.

Times are shown in the merchant's local time with their offset; amounts in major units; the card
only in its masked form (no other form is stored).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from recoup.money import format_major
from recoup.transactions.models import JournalLine, Order, SettlementLine

JOURNAL_LAYOUT = ("merchant_id", "terminal_id", "txn_time", "txn_type", "status", "amount", "currency", "rrn",
                  "stan", "auth_code", "card", "order_no", "cashier_id", "orig_rrn", "batch_no")
SETTLEMENT_LAYOUT = ("settle_date", "merchant_id", "merchant_name", "mcc", "terminal_id", "txn_time", "txn_type",
                     "rrn", "card", "amount", "fee", "net_amount", "currency", "order_no")
ORDER_LAYOUT = ("order_no", "merchant_id", "terminal_id", "created_at", "expected_amount", "currency",
                "cashier_id")
LAYOUTS = {"journal": JOURNAL_LAYOUT, "settlement": SETTLEMENT_LAYOUT, "orders": ORDER_LAYOUT}
# Columns of the short table the terminal shows (csv and json carry the whole layout and the id).
TABLE_COLUMNS = {
    "journal": ("id", "txn_time", "terminal_id", "txn_type", "status", "amount", "rrn", "stan", "card", "order_no",
                "cashier_id", "flagged"),
    "settlement": ("id", "settle_date", "txn_time", "terminal_id", "txn_type", "amount", "net_amount", "rrn", "card",
                   "mcc"),
    "orders": ("id", "created_at", "order_no", "merchant_id", "terminal_id", "expected_amount", "cashier_id"),
}
DEFAULT_ZONE = "Asia/Shanghai"


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def local_iso(moment: datetime, zone: str) -> str:
    return moment.astimezone(_zone(zone)).isoformat()


def journal_row(line: JournalLine, zone: str = DEFAULT_ZONE) -> dict[str, object]:
    return {
        "id": line.id, "merchant_id": line.merchant_id, "terminal_id": line.terminal_id,
        "txn_time": local_iso(line.txn_time, zone), "txn_type": line.txn_type, "status": line.status,
        "amount": format_major(line.amount_minor, line.currency), "currency": line.currency, "rrn": line.rrn,
        "stan": line.stan, "auth_code": line.auth_code, "card": line.card_masked, "order_no": line.order_no,
        "cashier_id": line.cashier_id, "orig_rrn": line.orig_rrn, "batch_no": line.batch_no,
        "flagged": "STOPPED" if line.flagged_stopped else "",
    }


def settlement_row(line: SettlementLine, zone: str = DEFAULT_ZONE) -> dict[str, object]:
    return {
        "id": line.id, "settle_date": line.settle_date.isoformat(), "merchant_id": line.merchant_id,
        "merchant_name": line.merchant_name, "mcc": line.mcc, "terminal_id": line.terminal_id,
        "txn_time": local_iso(line.txn_time, zone), "txn_type": line.txn_type, "rrn": line.rrn,
        "card": line.card_masked, "amount": format_major(line.amount_minor, line.currency),
        "fee": format_major(line.fee_minor, line.currency), "net_amount": format_major(line.net_minor, line.currency),
        "currency": line.currency, "order_no": line.order_no,
    }


def order_row(order: Order, zone: str = DEFAULT_ZONE) -> dict[str, object]:
    """No customer contact: it is personal data, kept sealed."""
    return {
        "id": order.id, "order_no": order.order_no, "merchant_id": order.merchant_id,
        "terminal_id": order.terminal_id or "", "created_at": local_iso(order.created_at, zone),
        "expected_amount": format_major(order.expected_minor, order.currency), "currency": order.currency,
        "cashier_id": order.cashier_id,
    }


def row_of(item: JournalLine | SettlementLine | Order, zones: dict[str, str]) -> dict[str, object]:
    zone = zones.get(item.merchant_id, DEFAULT_ZONE)
    if isinstance(item, JournalLine):
        return journal_row(item, zone)
    if isinstance(item, SettlementLine):
        return settlement_row(item, zone)
    return order_row(item, zone)
