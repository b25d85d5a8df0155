"""Tiny hand-made reconciliation inputs: one merchant, one terminal, one day, readable times."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from recoup.reconciliation.service import reconcile_files

MERCHANT = "898584058121917"
TERMINAL = "61067484"
OTHER_TERMINAL = "61067485"
DAY = "2026-10-12"
CARD = "6217000472907650621"
OTHER_CARD = "6222026843177800123"
CARD_KEY = b"test-card-key"

ORDER_COLUMNS = ("order_no", "merchant_id", "terminal_id", "created_at", "expected_amount", "currency",
                 "cashier_id", "customer_contact")
JOURNAL_COLUMNS = ("merchant_id", "terminal_id", "txn_time", "txn_type", "status", "amount", "currency", "rrn",
                   "stan", "auth_code", "card", "order_no", "cashier_id", "orig_rrn", "batch_no")
SETTLEMENT_COLUMNS = ("settle_date", "merchant_id", "merchant_name", "mcc", "terminal_id", "txn_time", "txn_type",
                      "rrn", "card", "amount", "fee", "net_amount", "currency", "order_no")
MERCHANT_COLUMNS = ("merchant_id", "name", "mcc", "timezone", "tenant")


def at(clock: str, day: str = DAY) -> str:
    """'10:05' or '10:05:30' on the test day, Beijing time."""
    return f"{day}T{clock if clock.count(':') == 2 else clock + ':00'}+08:00"


def order(order_no: str, amount: str, clock: str, *, terminal: str = "") -> dict[str, str]:
    return {"order_no": order_no, "merchant_id": MERCHANT, "terminal_id": terminal, "created_at": at(clock),
            "expected_amount": amount, "currency": "CNY", "cashier_id": "001", "customer_contact": ""}


def sale(rrn: str, amount: str, clock: str, *, order_no: str = "", card: str = CARD, status: str = "APPROVED",
         txn_type: str = "SALE", orig_rrn: str = "", terminal: str = TERMINAL, stan: str = "000001") -> dict[str, str]:
    return {"merchant_id": MERCHANT, "terminal_id": terminal, "txn_time": at(clock), "txn_type": txn_type,
            "status": status, "amount": amount, "currency": "CNY", "rrn": rrn, "stan": stan, "auth_code": "",
            "card": card, "order_no": order_no, "cashier_id": "001", "orig_rrn": orig_rrn, "batch_no": "000001"}


def undo(txn_type: str, rrn: str, amount: str, clock: str, orig_rrn: str, *, status: str = "APPROVED",
         order_no: str = "") -> dict[str, str]:
    """A VOID, REFUND or REVERSAL naming its sale."""
    return sale(rrn, amount, clock, order_no=order_no, status=status, txn_type=txn_type, orig_rrn=orig_rrn)


def settled(line: dict[str, str], amount: str | None = None, *, mcc: str = "5812") -> dict[str, str]:
    """The settlement line of a journal line (same terminal, RRN, time, type)."""
    card = line["card"]
    masked = card[:6] + "*" * (len(card) - 10) + card[-4:] if "*" not in card else card
    return {"settle_date": "2026-10-13", "merchant_id": line["merchant_id"], "merchant_name": "明珠餐厅", "mcc": mcc,
            "terminal_id": line["terminal_id"], "txn_time": line["txn_time"], "txn_type": line["txn_type"],
            "rrn": line["rrn"], "card": masked, "amount": amount or line["amount"], "fee": "0.00",
            "net_amount": amount or line["amount"], "currency": "CNY", "order_no": line["order_no"]}


@dataclass
class Case:
    orders: list[dict[str, str]] = field(default_factory=list)
    journal: list[dict[str, str]] = field(default_factory=list)
    settlement: list[dict[str, str]] = field(default_factory=list)
    merchants: list[dict[str, str]] | None = None

    def paid(self, order_no: str, rrn: str, amount: str, clock: str) -> dict[str, str]:
        """An order paid by one sale that settles: the clean case."""
        self.orders.append(order(order_no, amount, clock))
        line = sale(rrn, amount, clock, order_no=order_no)
        self.journal.append(line)
        self.settlement.append(settled(line))
        return line


def write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> Path:
    """Rows with columns beyond `columns` (e.g. a settlement `stan`) add those columns to the file."""
    extra = [column for row in rows for column in row if column not in columns]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(dict.fromkeys([*columns, *extra])), restval="",
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(case: Case, folder: Path) -> list[dict[str, str]]:
    """Reconcile the case; the findings rows as dicts."""
    folder.mkdir(parents=True, exist_ok=True)
    merchants = None
    if case.merchants is not None:
        merchants = write_csv(folder / "merchants.csv", MERCHANT_COLUMNS, case.merchants)
    out = folder / "findings.csv"
    reconcile_files(write_csv(folder / "orders.csv", ORDER_COLUMNS, case.orders),
                    write_csv(folder / "journal.csv", JOURNAL_COLUMNS, case.journal),
                    write_csv(folder / "settlement.csv", SETTLEMENT_COLUMNS, case.settlement),
                    merchants, out, card_key=CARD_KEY)
    with out.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def kinds(findings: list[dict[str, str]]) -> list[tuple[str, str]]:
    """(kind, key) of each finding: the key is the rrn, or the order for UNPAID_ORDER."""
    return [(f["kind"], f["order_no"] if f["kind"] == "UNPAID_ORDER" else f["rrn"]) for f in findings]


def rrn(n: int) -> str:
    return f"{n:012d}"


def settle_sales(case: Case) -> None:
    """Every approved sale (SALE or PREAUTH_COMPLETE) of the case cleared as recorded."""
    case.settlement += [settled(line) for line in case.journal if line["status"] == "APPROVED"
                        and line["txn_type"] in ("SALE", "PREAUTH_COMPLETE")]


def found_related(case: Case, folder: Path) -> list[tuple[str, str, str, str]]:
    """(kind, rrn, related_rrn, order_no) of each finding, in file order."""
    return [(f["kind"], f["rrn"], f["related_rrn"], f["order_no"]) for f in run(case, folder)]


def found_causes(case: Case, folder: Path) -> list[tuple[str, str, str, str]]:
    """(kind, cause, rrn, order_no) of each finding, in file order."""
    return [(f["kind"], f["cause"], f["rrn"], f["order_no"]) for f in run(case, folder)]
