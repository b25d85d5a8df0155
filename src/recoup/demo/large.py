"""Large data sets for benchmarks, streamed to disk: millions of journal lines in constant memory.

Mostly clean sales (an order, its journal line, its settlement line), with a small share of
anomalies: keyed amounts, duplicates, unsettled sales, settlement mismatches, unknown settlement
lines, unpaid orders and refunds. No ground truth is kept.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

from recoup.demo.registry import Merchant, Terminal, build_registry
from recoup.demo.rows import (
    JOURNAL_COLUMNS,
    MERCHANT_COLUMNS,
    ORDER_COLUMNS,
    SETTLEMENT_COLUMNS,
    TERMINAL_COLUMNS,
)
from recoup.demo.world import World
from recoup.errors import InvalidInput

LARGE_START = date(2026, 9, 1)
LINES_PER_DAY = 400_000
CARD_POOL = 50_000
FLUSH_EVERY = 20_000
OPENING_SECONDS = 8 * 3600
OPEN_SECONDS = 14 * 3600
# Bijections of the transaction number onto 12- and 10-digit ranges keep RRNs and order numbers unique.
_RRN_MULTIPLIER, _RRN_OFFSET = 480_194_137_183, 271_828_182_845
_ORDER_MULTIPLIER, _ORDER_OFFSET = 6_972_593_311, 1_414_213_562


@dataclass(frozen=True)
class _TerminalFacts:
    """What every line of one terminal repeats, formatted once."""

    merchant_id: str
    terminal_id: str
    merchant_name: str
    mcc: str
    fee_bp: int
    order_prefix: str
    cashiers: tuple[str, ...]
    min_minor: int
    span_minor: int


def write_large(folder: Path, journal_lines: int, seed: int = 1) -> dict[str, Path]:
    """Write about `journal_lines` journal lines with their orders and settlement, streaming."""
    if journal_lines < 1:
        raise InvalidInput("journal_lines must be at least 1")
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    days = max(1, min(60, -(-journal_lines // LINES_PER_DAY)))
    merchants = build_registry(rng, max(journal_lines, days * 40), days, LARGE_START)
    paths = {name: folder / f"{name}.csv" for name in ("merchants", "terminals", "orders", "journal",
                                                        "settlement")}
    _write_registry(paths, merchants)
    facts = [_facts(merchant, terminal) for merchant in merchants for terminal in merchant.terminals]
    cards = _card_pool(rng, merchants, min(CARD_POOL, journal_lines))
    with (paths["orders"].open("w", encoding="utf-8") as orders,
          paths["journal"].open("w", encoding="utf-8") as journal,
          paths["settlement"].open("w", encoding="utf-8") as settlement):
        orders.write(",".join(ORDER_COLUMNS) + "\n")
        journal.write(",".join(JOURNAL_COLUMNS) + "\n")
        settlement.write(",".join(SETTLEMENT_COLUMNS) + "\n")
        _Stream(rng, facts, cards, orders, journal, settlement).run(journal_lines, days)
    return paths


def _write_registry(paths: dict[str, Path], merchants: list[Merchant]) -> None:
    with paths["merchants"].open("w", encoding="utf-8") as handle:
        handle.write(",".join(MERCHANT_COLUMNS) + "\n")
        handle.writelines(",".join(merchant.as_row().values()) + "\n" for merchant in merchants)
    with paths["terminals"].open("w", encoding="utf-8") as handle:
        handle.write(",".join(TERMINAL_COLUMNS) + "\n")
        handle.writelines(",".join(terminal.as_row().values()) + "\n"
                          for merchant in merchants for terminal in merchant.terminals)


def _facts(merchant: Merchant, terminal: Terminal) -> _TerminalFacts:
    trade = merchant.trade
    return _TerminalFacts(merchant.merchant_id, terminal.terminal_id, merchant.name, merchant.mcc,
                          trade.fee_bp, merchant.order_prefix, merchant.cashiers, trade.min_minor,
                          min(trade.max_minor, trade.min_minor * 40) - trade.min_minor)


def _card_pool(rng: random.Random, merchants: list[Merchant], size: int) -> list[tuple[str, str]]:
    world = World(rng, merchants, LARGE_START, 1, 0.5)
    pool = [world.new_card() for _ in range(size)]
    return [(card.pan, card.masked) for card in pool]


def _clock() -> list[str]:
    return [f"T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}+08:00"
            for second in range(86_400)]


def _money(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


class _Stream:
    """Writes the transactions terminal by terminal, day by day, flushing every few thousand lines."""

    def __init__(self, rng: random.Random, facts: list[_TerminalFacts], cards: list[tuple[str, str]],
                 orders: TextIO, journal: TextIO, settlement: TextIO) -> None:
        self.rng = rng
        self.facts = facts
        self.cards = cards
        self.files = (orders, journal, settlement)
        self.buffers: tuple[list[str], list[str], list[str]] = ([], [], [])
        self.clock = _clock()
        self.stans = [rng.randrange(1, 900_000) for _ in facts]
        self.number = 0
        self.rrn_count = 0

    def run(self, journal_lines: int, days: int) -> None:
        written = 0
        slots = days * len(self.facts)
        for slot, (day, index) in enumerate(self._slots(days)):
            quota = (journal_lines * (slot + 1)) // slots - written
            written += self._terminal_day(day, index, quota)
        self._flush()

    def _slots(self, days: int) -> Iterator[tuple[date, int]]:
        for offset in range(days):
            for index in range(len(self.facts)):
                yield LARGE_START + timedelta(days=offset), index

    def _terminal_day(self, day: date, index: int, quota: int) -> int:
        """About `quota` journal lines for one terminal on one day; returns how many were written."""
        facts = self.facts[index]
        on, settle_on = day.isoformat(), (day + timedelta(days=1)).isoformat()
        batch = f"{100 + (day - LARGE_START).days:06d}"
        step = OPEN_SECONDS / max(quota, 1)
        written = 0
        while written < quota:
            second = OPENING_SECONDS + int(written * step + self.rng.random() * step)
            written += self._transaction(facts, index, on, settle_on, batch, second)
            if len(self.buffers[1]) >= FLUSH_EVERY:
                self._flush()
        return written

    def _transaction(self, facts: _TerminalFacts, index: int, on: str, settle_on: str, batch: str,
                     second: int) -> int:
        self.number += 1
        number = self.number
        roll = self.rng.random()
        amount = facts.min_minor + int(self.rng.random() ** 3 * facts.span_minor)
        serial = (number * _ORDER_MULTIPLIER + _ORDER_OFFSET) % 10**10
        order_no = f"{facts.order_prefix}{on.replace('-', '')}{serial:010d}"
        created = self.clock[max(0, second - 40)]
        self.buffers[0].append(f"{order_no},{facts.merchant_id},{facts.terminal_id},{on}{created},"
                               f"{_money(amount)},CNY,{facts.cashiers[number % len(facts.cashiers)]},\n")
        if roll < 0.002:  # unpaid order: the customer walked away
            return 0
        charged = amount * 10 if roll < 0.004 else amount  # keyed amount: an extra zero
        pan, masked = self.cards[int(self.rng.random() * len(self.cards))]
        rrn = self._journal(facts, index, on, second, "SALE", charged, pan if roll > 0.5 else masked,
                            "" if 0.004 <= roll < 0.02 else order_no, batch)
        lines = 1
        if 0.006 <= roll < 0.008:  # duplicate: charged again a minute later
            second = min(86_399, second + 60)
            duplicate = self._journal(facts, index, on, second, "SALE", charged, masked, order_no, batch)
            self._settle(facts, settle_on, on, second, "SALE", duplicate, masked, charged, order_no)
            lines += 1
        if 0.008 <= roll < 0.010:  # unsettled
            return lines
        settled = charged - 1 if 0.010 <= roll < 0.012 else charged  # settlement mismatch
        self._settle(facts, settle_on, on, second, "SALE", rrn, masked, settled, order_no)
        if 0.012 <= roll < 0.014:  # an unknown settlement line next to it
            self._settle(facts, settle_on, on, second, "SALE", self._next_rrn(), masked, amount + 100, "")
        if 0.014 <= roll < 0.017 and second < 86_000:  # a partial refund, settled
            refund = self._journal(facts, index, on, second + 300, "REFUND", charged // 2, masked, order_no,
                                   batch, orig_rrn=rrn)
            self._settle(facts, settle_on, on, second + 300, "REFUND", refund, masked, charged // 2, order_no)
            lines += 1
        return lines

    def _next_rrn(self) -> str:
        self.rrn_count += 1
        return f"{(self.rrn_count * _RRN_MULTIPLIER + _RRN_OFFSET) % 10**12:012d}"

    def _journal(self, facts: _TerminalFacts, index: int, on: str, second: int, txn_type: str, amount: int,
                 card: str, order_no: str, batch: str, orig_rrn: str = "") -> str:
        rrn = self._next_rrn()
        self.stans[index] = self.stans[index] % 999_999 + 1
        self.buffers[1].append(
            f"{facts.merchant_id},{facts.terminal_id},{on}{self.clock[second]},{txn_type},APPROVED,"
            f"{_money(amount)},CNY,{rrn},{self.stans[index]:06d},{rrn[-6:]},{card},{order_no},"
            f"{facts.cashiers[self.number % len(facts.cashiers)]},{orig_rrn},{batch}\n")
        return rrn

    def _settle(self, facts: _TerminalFacts, settle_on: str, on: str, second: int, txn_type: str, rrn: str,
                masked: str, amount: int, order_no: str) -> None:
        fee = (amount * facts.fee_bp + 5_000) // 10_000
        self.buffers[2].append(
            f"{settle_on},{facts.merchant_id},{facts.merchant_name},{facts.mcc},{facts.terminal_id},"
            f"{on}{self.clock[second]},{txn_type},{rrn},{masked},{_money(amount)},{_money(fee)},"
            f"{_money(amount - fee)},CNY,{order_no}\n")

    def _flush(self) -> None:
        for handle, buffer in zip(self.files, self.buffers, strict=True):
            handle.write("".join(buffer))
            buffer.clear()
