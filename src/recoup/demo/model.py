"""What the generator builds before it becomes CSV rows: orders, journal and settlement lines, findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from recoup.demo.registry import Merchant, Terminal

SALE_TYPES = ("SALE", "PREAUTH_COMPLETE")
UNDOING_TYPES = ("VOID", "REVERSAL")


def mask_pan(pan: str) -> str:
    """First six, stars for the middle, last four: the same length as the PAN."""
    return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]


@dataclass(frozen=True)
class Card:
    pan: str

    @property
    def masked(self) -> str:
        return mask_pan(self.pan)


@dataclass
class Order:
    order_no: str
    merchant: Merchant
    terminal_id: str  # empty when the order does not name its terminal
    created_at: datetime
    expected_minor: int
    cashier_id: str
    contact: str


@dataclass
class Line:
    """One journal line; `stan` and `batch_no` are given once every line of the terminal is known."""

    merchant: Merchant
    terminal: Terminal
    txn_time: datetime
    txn_type: str
    status: str
    amount_minor: int
    rrn: str
    card: Card
    show_full_pan: bool
    order_no: str
    cashier_id: str
    auth_code: str = ""
    orig_rrn: str = ""
    stan: str = ""
    batch_no: str = ""

    @property
    def is_sale(self) -> bool:
        return self.txn_type in SALE_TYPES

    @property
    def approved(self) -> bool:
        return self.status == "APPROVED"


@dataclass
class Settlement:
    merchant: Merchant
    terminal_id: str
    txn_time: datetime
    txn_type: str
    rrn: str
    card: Card
    amount_minor: int
    order_no: str
    mcc: str
    fee_bp: int


@dataclass(frozen=True)
class ExpectedFinding:
    """A finding the SPEC's rules must yield on the generated data, known from how it was planted.

    `key` is the finding's rrn (the order number for UNPAID_ORDER); `alt_keys` and `alt_causes` are
    also accepted where the spec leaves a choice open. Amounts follow the SPEC's output columns.
    """

    kind: str
    key: str
    cause: str = ""
    alt_keys: tuple[str, ...] = ()
    alt_causes: tuple[str, ...] = ()
    merchant_id: str = ""
    terminal_id: str = ""
    related_rrn: str = ""
    order_no: str = ""
    charged_minor: int = 0
    expected_minor: int = 0

    def as_row(self) -> dict[str, str]:
        return {"kind": self.kind, "cause": self.cause, "key": self.key,
                "alt_keys": "|".join(self.alt_keys), "alt_causes": "|".join(self.alt_causes)}


@dataclass(frozen=True)
class Planted:
    """One scenario placed in the data: an anomaly or a hard negative, with the records it made."""

    scenario: str
    anomaly: bool
    merchant_id: str
    rrns: tuple[str, ...]
    order_nos: tuple[str, ...]


@dataclass
class Draft:
    """The records of one scenario, kept apart until the guard accepts them."""

    scenario: str
    anomaly: bool
    orders: list[Order] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    settlements: list[Settlement] = field(default_factory=list)
    findings: list[ExpectedFinding] = field(default_factory=list)
    # Sales without an order number and the order rule 2 of linking must give each (None: no order).
    intended_links: dict[str, Order | None] = field(default_factory=dict)

    def in_force_sales(self) -> list[Line]:
        undone = {line.orig_rrn for line in self.lines if line.txn_type in UNDOING_TYPES and line.approved}
        return [line for line in self.lines if line.is_sale and line.approved and line.rrn not in undone]

    def planted(self) -> Planted:
        merchant_ids = [order.merchant.merchant_id for order in self.orders]
        merchant_ids += [line.merchant.merchant_id for line in self.lines]
        merchant_ids += [settlement.merchant.merchant_id for settlement in self.settlements]
        rrns = [line.rrn for line in self.lines] + [s.rrn for s in self.settlements if s.rrn]
        return Planted(self.scenario, self.anomaly, merchant_ids[0] if merchant_ids else "",
                       tuple(dict.fromkeys(rrns)), tuple(order.order_no for order in self.orders))


@dataclass
class Dataset:
    """A generated data set: the five input tables as CSV rows, and what reconciling them must find."""

    merchants: list[dict[str, str]]
    terminals: list[dict[str, str]]
    orders: list[dict[str, str]]
    journal: list[dict[str, str]]
    settlement: list[dict[str, str]]
    expected: list[ExpectedFinding]
    planted: list[Planted]

    def expected_rows(self) -> list[dict[str, str]]:
        """The ground truth as rows of expected_findings.csv, sorted by kind and key."""
        return [finding.as_row() for finding in sorted(self.expected, key=lambda f: (f.kind, f.key))]
