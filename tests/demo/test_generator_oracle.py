"""The generator's planted ground truth against a small, independent reading of SPEC section 4.

The oracle below works on the CSV rows only (never on the generator's internals) and applies the
section 4 rules literally. The generator must plant exactly what the oracle finds: nothing missing,
nothing extra, the same causes. This is a check of the generator, not the product's engine.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from recoup.demo.amounts import classify, plausibly_related
from recoup.demo.generator import Dataset, generate, write_dataset
from recoup.demo.writer import CHINESE_ALIASES
from recoup.money import parse_minor

FROM_ALIAS = {alias: name for name, alias in CHINESE_ALIASES.items()}
Finding = tuple[str, str, str]  # kind, key, cause


@dataclass
class Txn:
    merchant: str
    terminal: str
    time: datetime
    type: str
    status: str
    amount: int
    rrn: str
    masked: str
    order_no: str
    orig_rrn: str

    @property
    def day(self) -> object:
        return self.time.date()


def _masked(card: str) -> str:
    return card if "*" in card else card[:6] + "*" * (len(card) - 10) + card[-4:]


def _txn(row: dict[str, str]) -> Txn:
    return Txn(row["merchant_id"], row["terminal_id"], datetime.fromisoformat(row["txn_time"]),
               FROM_ALIAS.get(row["txn_type"], row["txn_type"]), FROM_ALIAS.get(row["status"], row["status"]),
               parse_minor(row["amount"], row["currency"]), row["rrn"], _masked(row["card"]), row["order_no"],
               row["orig_rrn"])


class Oracle:
    def __init__(self, merchants: list[dict[str, str]], orders: list[dict[str, str]],
                 journal: list[dict[str, str]], settlement: list[dict[str, str]]) -> None:
        self.mcc = {row["merchant_id"]: row["mcc"] for row in merchants}
        self.orders = {(row["merchant_id"], row["order_no"]): row for row in orders}
        self.lines = [_txn(row) for row in journal]
        self.settlement = settlement
        self.settled = {(row["terminal_id"], row["rrn"]) for row in settlement}
        self.settle_days = {(row["merchant_id"], datetime.fromisoformat(row["txn_time"]).date())
                            for row in settlement}
        self.order_days = {(row["merchant_id"], datetime.fromisoformat(row["created_at"]).date())
                           for row in orders}
        undone = {line.orig_rrn for line in self.lines if line.type in ("VOID", "REVERSAL")
                  and line.status == "APPROVED"}
        self.in_force = [line for line in self.lines if line.type in ("SALE", "PREAUTH_COMPLETE")
                         and line.status == "APPROVED" and line.rrn not in undone]
        self.refunds: dict[str, list[Txn]] = defaultdict(list)
        for line in self.lines:
            if line.type == "REFUND" and line.status == "APPROVED":
                self.refunds[line.orig_rrn].append(line)

    def findings(self) -> set[Finding]:
        links = self._links()
        duplicates = self._duplicates(links)
        found = {("DUPLICATE_CHARGE", rrn, "") for rrn in duplicates}
        found |= self._amount_findings(links, duplicates)
        failed = self._debited_but_failed()
        found |= {("DEBITED_BUT_FAILED", line.rrn, "") for line in failed}
        found |= self._settlement_findings()
        found |= self._refund_findings()
        for sale in self.in_force:
            if not self._settled(sale) and (sale.merchant, sale.day) in self.settle_days:
                found.add(("UNSETTLED", sale.rrn, ""))
            if (sale.rrn not in links and sale.rrn not in duplicates
                    and (sale.merchant, sale.day) in self.order_days):
                found.add(("UNMATCHED_CHARGE", sale.rrn, ""))
        paid = {links[sale.rrn] for sale in self.in_force if sale.rrn in links and sale.rrn not in duplicates}
        named_by_failed = {(line.merchant, line.order_no) for line in failed}
        found |= {("UNPAID_ORDER", key[1], "") for key in self.orders if key not in paid | named_by_failed}
        return found

    def _settled(self, line: Txn) -> bool:
        return (line.terminal, line.rrn) in self.settled

    def _links(self) -> dict[str, tuple[str, str]]:
        links = {sale.rrn: (sale.merchant, sale.order_no) for sale in self.in_force
                 if (sale.merchant, sale.order_no) in self.orders}
        taken = set(links.values())
        pairs = []
        for sale in (sale for sale in self.in_force if not sale.order_no):
            for key, order in self.orders.items():
                created = datetime.fromisoformat(order["created_at"])
                expected = parse_minor(order["expected_amount"], order["currency"])
                if (key[0] == sale.merchant and key not in taken
                        and order["terminal_id"] in ("", sale.terminal)
                        and abs(created - sale.time) <= timedelta(minutes=30)
                        and plausibly_related(sale.amount, expected)):
                    pairs.append((sale.amount != expected, abs(created - sale.time), sale.rrn, key[1], key))
        for *_, rrn, _order_no, key in sorted(pairs):
            if rrn not in links and key not in taken:
                links[rrn] = key
                taken.add(key)
        return links

    def _duplicates(self, links: dict[str, tuple[str, str]]) -> set[str]:
        groups: dict[tuple[str, str, int], list[Txn]] = defaultdict(list)
        for sale in self.in_force:
            if not self.refunds.get(sale.rrn):
                groups[(sale.merchant, sale.masked, sale.amount)].append(sale)
        duplicates = set()
        for sales in groups.values():
            sales.sort(key=lambda sale: (sale.time, sale.rrn))
            index = 0
            while index < len(sales):
                first = sales[index]
                group = [sale for sale in sales[index:] if sale.time - first.time <= timedelta(minutes=10)]
                for position, sale in enumerate(group[1:], start=1):
                    earlier = {links.get(other.rrn) for other in group[:position]} - {None}
                    if sale.rrn not in links or links[sale.rrn] in earlier:
                        duplicates.add(sale.rrn)
                index += len(group)
        return duplicates

    def _amount_findings(self, links: dict[str, tuple[str, str]], duplicates: set[str]) -> set[Finding]:
        payments: dict[tuple[str, str], list[Txn]] = defaultdict(list)
        for sale in self.in_force:
            if sale.rrn in links and sale.rrn not in duplicates:
                payments[links[sale.rrn]].append(sale)
        found = set()
        for key, sales in payments.items():
            order = self.orders[key]
            expected = parse_minor(order["expected_amount"], order["currency"])
            total = sum(sale.amount for sale in sales)
            latest = max(sales, key=lambda sale: (sale.time, sale.rrn))
            refunded = sum(refund.amount for sale in sales for refund in self.refunds.get(sale.rrn, []))
            if total > expected and refunded < total - expected:
                found.add(("OVERCHARGE", latest.rrn, classify(total, expected)))
            elif 0 < total < expected:
                found.add(("UNDERCHARGE", latest.rrn, classify(total, expected)))
        return found

    def _debited_but_failed(self) -> list[Txn]:
        reversals: dict[str, list[Txn]] = defaultdict(list)
        for line in self.lines:
            if line.type == "REVERSAL":
                reversals[line.orig_rrn].append(line)
        return [line for line in self.lines
                if line.type == "SALE" and (line.status in ("FAILED", "TIMEOUT") or reversals.get(line.rrn))
                and self._settled(line)
                and not any(self._settled(reversal) for reversal in reversals.get(line.rrn, []))]

    def _settlement_findings(self) -> set[Finding]:
        by_key = {(line.terminal, line.rrn): line for line in self.lines}
        found = set()
        for row in self.settlement:
            line = by_key.get((row["terminal_id"], row["rrn"]))
            if line is None:
                found.add(("UNKNOWN_SETTLEMENT", row["rrn"], ""))
            elif parse_minor(row["amount"], row["currency"]) != line.amount:
                found.add(("SETTLEMENT_MISMATCH", row["rrn"], ""))
            if row["mcc"] != self.mcc[row["merchant_id"]]:
                found.add(("MCC_MISMATCH", row["rrn"], ""))
        return found

    def _refund_findings(self) -> set[Finding]:
        by_rrn = {line.rrn: line for line in self.lines}
        found = set()
        undoing: dict[str, list[Txn]] = defaultdict(list)
        for line in self.lines:
            if line.type in ("VOID", "REFUND") and line.status == "APPROVED":
                undoing[line.orig_rrn].append(line)
                if line.type == "REFUND" and not self._settled(line) and (
                        (line.merchant, line.day) in self.settle_days):
                    found.add(("REFUND_NOT_SETTLED", line.rrn, ""))
                sale = by_rrn.get(line.orig_rrn)
                if line.type == "VOID" and not self._settled(line) and sale and self._settled(sale):
                    found.add(("VOIDED_BUT_SETTLED", sale.rrn, ""))
        for sale_rrn, lines in undoing.items():
            total = 0
            for line in sorted(lines, key=lambda line: (line.time, line.rrn)):
                total += line.amount
                if total > by_rrn[sale_rrn].amount:
                    found.add(("OVER_REFUND", line.rrn, ""))
                    break
        return found


def _planted(ds: Dataset) -> set[Finding]:
    return {(finding.kind, finding.key, finding.cause) for finding in ds.expected}


def _oracle(ds: Dataset) -> set[Finding]:
    return Oracle(ds.merchants, ds.orders, ds.journal, ds.settlement).findings()


@pytest.mark.parametrize(("seed", "orders", "days"), [(7, 300, 3), (1, 300, 3), (2, 120, 2), (3, 900, 7)])
def test_planted_findings_are_exactly_what_the_rules_yield(seed: int, orders: int, days: int) -> None:
    ds = generate(seed=seed, orders=orders, days=days)
    planted, found = _planted(ds), _oracle(ds)
    assert found - planted == set(), "the data yields findings that were not planted"
    assert planted - found == set(), "planted findings the rules do not yield"


def test_a_high_anomaly_rate_still_plants_only_what_it_lists() -> None:
    ds = generate(seed=11, orders=200, days=2, anomaly_rate=0.4)
    assert _oracle(ds) == _planted(ds)


def test_a_clean_data_set_yields_no_finding() -> None:
    ds = generate(seed=5, orders=250, anomaly_rate=0.0)
    assert ds.expected == []
    assert _oracle(ds) == set()


def test_written_files_shuffled_and_aliased_yield_the_same_findings(tmp_path: Path) -> None:
    ds = generate(seed=4, orders=200)
    paths = write_dataset(ds, tmp_path, encoding="gb18030", shuffle_seed=9, chinese_aliases=True,
                          shuffle_columns=True)

    def read(name: str) -> list[dict[str, str]]:
        with paths[name].open(encoding="gb18030", newline="") as handle:
            return list(csv.DictReader(handle))

    oracle = Oracle(read("merchants"), read("orders"), read("journal"), read("settlement"))
    assert oracle.findings() == _planted(ds)
