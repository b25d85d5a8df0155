"""Realistic test and demo data in the CSV formats of SPEC section 3, with the findings it must yield.

`generate()` plants every kind of finding of SPEC section 4 and hard negatives that must not be
flagged, and records the ground truth as it plants it (never by reconciling the result). Every
scenario uses cards of its own, and a guard keeps scenarios from pairing by accident under rule 2
of linking, so each yields exactly its planted findings and nothing else.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta

from recoup.demo.anomalies import ANOMALIES
from recoup.demo.builder import Builder
from recoup.demo.catalog import JUMP_MCCS
from recoup.demo.large import write_large
from recoup.demo.model import Dataset, ExpectedFinding, Planted, Settlement
from recoup.demo.negatives import NEGATIVES, clean_sale, clean_sale_by_rule_two
from recoup.demo.registry import Merchant, build_registry
from recoup.demo.rows import journal_row, number_lines, order_row, settlement_row
from recoup.demo.world import World
from recoup.demo.writer import write_dataset
from recoup.errors import InvalidInput

__all__ = ["Dataset", "ExpectedFinding", "Planted", "generate", "write_dataset", "write_large"]

MCC_MISMATCH = "MCC_MISMATCH"
ANOMALY_VARIANTS: tuple[str, ...] = (*ANOMALIES, MCC_MISMATCH)
NEGATIVE_SHARE = 0.15  # hard negatives per order
RULE_TWO_CLEAN_SHARE = 0.06  # clean sales the terminal recorded without their order number
CLEAN = "CLEAN"
PREAUTH_MCCS = ("7011", "5541", "5812")


def generate(seed: int = 7, orders: int = 300, days: int = 3, start: date = date(2026, 10, 12),
             anomaly_rate: float = 0.1, full_pan_share: float = 0.5) -> Dataset:
    """A data set of about `orders` orders over `days` days from `start`, the same for the same seed.

    `anomaly_rate` is the number of planted anomalies per order (each kind of SPEC section 4 appears
    once the budget allows); `full_pan_share` the share of journal lines that show the full card number.
    """
    _check(orders, days, anomaly_rate, full_pan_share)
    rng = random.Random(seed)
    world = World(rng, build_registry(rng, orders, days, start), start, days, full_pan_share)
    _cover_every_day(world)
    anomalies = _plan(rng, ANOMALY_VARIANTS, round(orders * anomaly_rate))
    for name in anomalies:
        if name != MCC_MISMATCH:
            _place(world, ANOMALIES[name], name, anomaly=True)
    for name in _plan(rng, tuple(NEGATIVES), round(orders * NEGATIVE_SHARE)):
        _place(world, NEGATIVES[name], name, anomaly=False, merchant=_preferred_merchant(world, name))
    _fill_with_clean_sales(world, orders)
    _plant_mcc_jumps(world, anomalies.count(MCC_MISMATCH))
    number_lines(world.lines, start, rng)
    return _dataset(world)


def _check(orders: int, days: int, anomaly_rate: float, full_pan_share: float) -> None:
    if orders < 1 or days < 1:
        raise InvalidInput("orders and days must be at least 1")
    if not 0 <= anomaly_rate <= 1 or not 0 <= full_pan_share <= 1:
        raise InvalidInput("anomaly_rate and full_pan_share are shares between 0 and 1")


def _place(world: World, scenario: Callable[[Builder], None], name: str, *, anomaly: bool,
           merchant: Merchant | None = None, day: date | None = None) -> bool:
    return world.place(lambda slot, draft: scenario(Builder(world, slot, draft)), name, anomaly=anomaly,
                       merchant=merchant, day=day)


def _preferred_merchant(world: World, scenario: str) -> Merchant | None:
    """Deposits held by PREAUTH belong to hotels, petrol stations and restaurants, where there are any."""
    if scenario != "NEGATIVE:preauth_completed":
        return None
    fitting = [merchant for merchant in world.merchants if merchant.mcc in PREAUTH_MCCS]
    return world.rng.choice(fitting) if fitting else None


def _cover_every_day(world: World) -> None:
    """A clean settled sale for every merchant and day, so every day is covered by orders and settlement
    (absence is judged only on covered days)."""
    for merchant in world.merchants:
        for offset in range(world.days):
            _place(world, clean_sale, CLEAN, anomaly=False, merchant=merchant,
                   day=world.start + timedelta(days=offset))


def _plan(rng: random.Random, variants: tuple[str, ...], count: int) -> list[str]:
    """`count` variants: each once (in random order) while the budget lasts, then any at random."""
    names = list(variants)
    rng.shuffle(names)
    if count <= len(names):
        return names[:count]
    return names + rng.choices(variants, k=count - len(names))


def _fill_with_clean_sales(world: World, orders: int) -> None:
    for _ in range(orders * 3):
        if len(world.orders) >= orders:
            return
        if world.rng.random() < RULE_TWO_CLEAN_SHARE:
            _place(world, clean_sale_by_rule_two, "NEGATIVE:linked_by_rule_two", anomaly=False)
        else:
            _place(world, clean_sale, CLEAN, anomaly=False)


def _plant_mcc_jumps(world: World, count: int) -> None:
    """A terminal switched to another merchant category (跳码) for a run of its settlement lines on a day:
    one MCC_MISMATCH finding per line."""
    by_terminal_day: dict[tuple[str, date], list[Settlement]] = defaultdict(list)
    for settlement in world.settlements:
        by_terminal_day[(settlement.terminal_id, settlement.txn_time.date())].append(settlement)
    candidates = sorted(key for key, lines in by_terminal_day.items() if len(lines) >= 2)
    world.rng.shuffle(candidates)
    for key in candidates[:count]:
        lines = sorted(by_terminal_day[key], key=lambda settlement: (settlement.txn_time, settlement.rrn))
        run = world.rng.randint(2, min(5, len(lines)))
        first = world.rng.randrange(len(lines) - run + 1)
        merchant = lines[0].merchant
        jump_mcc = world.rng.choice([mcc for mcc in JUMP_MCCS if mcc != merchant.mcc])
        for settlement in lines[first:first + run]:
            settlement.mcc = jump_mcc
            settlement.fee_bp = 0
            world.findings.append(ExpectedFinding(
                MCC_MISMATCH, settlement.rrn, merchant_id=merchant.merchant_id, terminal_id=key[0],
                charged_minor=settlement.amount_minor, expected_minor=settlement.amount_minor,
            ))
        rrns = tuple(settlement.rrn for settlement in lines[first:first + run])
        world.planted.append(Planted(MCC_MISMATCH, True, merchant.merchant_id, rrns, ()))


def _dataset(world: World) -> Dataset:
    orders = sorted(world.orders, key=lambda order: (order.created_at, order.order_no))
    lines = sorted(world.lines, key=lambda line: (line.txn_time, line.terminal.terminal_id, line.rrn))
    settlement = [settlement_row(settlement) for settlement in world.settlements]
    settlement.sort(key=lambda row: (row["settle_date"], row["merchant_id"], row["terminal_id"],
                                     row["txn_time"], row["rrn"]))
    return Dataset(
        merchants=[merchant.as_row() for merchant in world.merchants],
        terminals=[terminal.as_row() for merchant in world.merchants for terminal in merchant.terminals],
        orders=[order_row(order) for order in orders],
        journal=[journal_row(line) for line in lines],
        settlement=settlement,
        expected=sorted(world.findings, key=lambda finding: (finding.kind, finding.key)),
        planted=[planted for planted in world.planted if planted.scenario != CLEAN],
    )
