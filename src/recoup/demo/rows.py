"""The records as CSV rows in the exact columns of SPEC section 3, every value a string."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

from recoup.demo.model import Line, Order, Settlement
from recoup.money import format_major

CURRENCY = "CNY"

MERCHANT_COLUMNS = ("merchant_id", "name", "mcc", "timezone", "tenant")
TERMINAL_COLUMNS = ("terminal_id", "merchant_id", "model", "serial", "firmware", "location", "installed_at",
                    "last_maintenance_at")
ORDER_COLUMNS = ("order_no", "merchant_id", "terminal_id", "created_at", "expected_amount", "currency",
                 "cashier_id", "customer_contact")
JOURNAL_COLUMNS = ("merchant_id", "terminal_id", "txn_time", "txn_type", "status", "amount", "currency",
                   "rrn", "stan", "auth_code", "card", "order_no", "cashier_id", "orig_rrn", "batch_no")
SETTLEMENT_COLUMNS = ("settle_date", "merchant_id", "merchant_name", "mcc", "terminal_id", "txn_time",
                      "txn_type", "rrn", "card", "amount", "fee", "net_amount", "currency", "order_no")
FINDING_COLUMNS = ("kind", "cause", "key", "alt_keys", "alt_causes")


def number_lines(lines: list[Line], start: date, rng: random.Random) -> None:
    """Give each terminal's lines running STANs in time order, and a batch number per day."""
    by_terminal: dict[str, list[Line]] = defaultdict(list)
    for line in lines:
        by_terminal[line.terminal.terminal_id].append(line)
    for terminal_id in sorted(by_terminal):
        first_stan = rng.randrange(1, 900_000)
        first_batch = rng.randrange(100, 900)
        ordered = sorted(by_terminal[terminal_id], key=lambda line: (line.txn_time, line.rrn))
        for index, line in enumerate(ordered):
            line.stan = f"{(first_stan + index - 1) % 999_999 + 1:06d}"
            line.batch_no = f"{first_batch + (line.txn_time.date() - start).days:06d}"


def fee_of(amount_minor: int, fee_bp: int) -> int:
    """The acquirer's fee, rounded half up to the fen."""
    return (amount_minor * fee_bp + 5_000) // 10_000


def order_row(order: Order) -> dict[str, str]:
    return {
        "order_no": order.order_no, "merchant_id": order.merchant.merchant_id,
        "terminal_id": order.terminal_id, "created_at": order.created_at.isoformat(),
        "expected_amount": format_major(order.expected_minor, CURRENCY), "currency": CURRENCY,
        "cashier_id": order.cashier_id, "customer_contact": order.contact,
    }


def journal_row(line: Line) -> dict[str, str]:
    return {
        "merchant_id": line.merchant.merchant_id, "terminal_id": line.terminal.terminal_id,
        "txn_time": line.txn_time.isoformat(), "txn_type": line.txn_type, "status": line.status,
        "amount": format_major(line.amount_minor, CURRENCY), "currency": CURRENCY, "rrn": line.rrn,
        "stan": line.stan, "auth_code": line.auth_code,
        "card": line.card.pan if line.show_full_pan else line.card.masked, "order_no": line.order_no,
        "cashier_id": line.cashier_id, "orig_rrn": line.orig_rrn, "batch_no": line.batch_no,
    }


def settlement_row(settlement: Settlement) -> dict[str, str]:
    fee = fee_of(settlement.amount_minor, settlement.fee_bp)
    return {
        "settle_date": (settlement.txn_time.date() + timedelta(days=1)).isoformat(),
        "merchant_id": settlement.merchant.merchant_id, "merchant_name": settlement.merchant.name,
        "mcc": settlement.mcc, "terminal_id": settlement.terminal_id,
        "txn_time": settlement.txn_time.isoformat(), "txn_type": settlement.txn_type, "rrn": settlement.rrn,
        "card": settlement.card.masked, "amount": format_major(settlement.amount_minor, CURRENCY),
        "fee": format_major(fee, CURRENCY),
        "net_amount": format_major(settlement.amount_minor - fee, CURRENCY),
        "currency": CURRENCY, "order_no": settlement.order_no,
    }
