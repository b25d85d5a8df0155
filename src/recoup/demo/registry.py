"""Merchants and their terminals, as many as the volume of orders calls for."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from recoup.demo.catalog import CITIES, TERMINAL_MODELS, TRADES, Trade

TIMEZONE = "Asia/Shanghai"
HOTEL_MCC = "7011"
ORDERS_PER_TERMINAL_DAY = 12


@dataclass
class Terminal:
    terminal_id: str
    merchant_id: str
    model: str
    serial: str
    firmware: str
    location: str
    installed_at: date
    last_maintenance_at: date

    def as_row(self) -> dict[str, str]:
        return {
            "terminal_id": self.terminal_id, "merchant_id": self.merchant_id, "model": self.model,
            "serial": self.serial, "firmware": self.firmware, "location": self.location,
            "installed_at": self.installed_at.isoformat(),
            "last_maintenance_at": self.last_maintenance_at.isoformat(),
        }


@dataclass
class Merchant:
    merchant_id: str
    name: str
    trade: Trade
    tenant: str
    order_prefix: str
    cashiers: tuple[str, ...]
    terminals: list[Terminal] = field(default_factory=list)

    @property
    def mcc(self) -> str:
        return self.trade.mcc

    def as_row(self) -> dict[str, str]:
        return {"merchant_id": self.merchant_id, "name": self.name, "mcc": self.mcc,
                "timezone": TIMEZONE, "tenant": self.tenant}


def registry_size(orders: int, days: int) -> tuple[int, int]:
    """How many merchants and terminals serve `orders` orders over `days` days."""
    per_day = orders / days
    terminals = max(2, min(600, round(per_day / ORDERS_PER_TERMINAL_DAY)))
    merchants = max(1, min(terminals, round(math.sqrt(terminals * 2.5))))
    # Every merchant gets a clean sale each day (so every day is covered); keep that a small share.
    merchants = max(1, min(merchants, orders // (days * 4)))
    return merchants, terminals


def build_registry(rng: random.Random, orders: int, days: int, start: date) -> list[Merchant]:
    merchant_count, terminal_count = registry_size(orders, days)
    merchants: list[Merchant] = []
    used_ids: set[str] = set()
    used_names: set[str] = set()
    trades = list(TRADES)
    rng.shuffle(trades)
    if merchant_count >= 2:  # a hotel, for the deposits held by PREAUTH and completed at check-out
        hotel = next(index for index, trade in enumerate(trades) if trade.mcc == HOTEL_MCC)
        trades.insert(rng.randrange(merchant_count), trades.pop(hotel))
    cities = list(CITIES)
    rng.shuffle(cities)
    for index in range(merchant_count):
        trade = trades[index % len(trades)]
        city = cities[index % len(cities)] if index < len(cities) else rng.choice(CITIES)
        merchants.append(_new_merchant(rng, trade, city.name, city.region_code, city.tenant,
                                       rng.choice(city.districts), used_ids, used_names))
    shares = [rng.choice((1, 1, 2, 3)) for _ in merchants]
    counts = [1] * merchant_count
    for _ in range(terminal_count - merchant_count):
        counts[rng.choices(range(merchant_count), weights=shares)[0]] += 1
    used_terminals: set[str] = set()
    for merchant, count in zip(merchants, counts, strict=True):
        locations = list(merchant.trade.locations)
        rng.shuffle(locations)
        for number in range(count):
            location = locations[number] if number < len(locations) else f"{locations[0]}{number + 1}号"
            merchant.terminals.append(_new_terminal(rng, merchant, location, start, used_terminals))
    return merchants


def _new_merchant(rng: random.Random, trade: Trade, city: str, region: str, tenant: str, district: str,
                  used_ids: set[str], used_names: set[str]) -> Merchant:
    while True:
        merchant_id = f"898{region}{trade.mcc}{rng.randrange(10_000):04d}"
        name = f"{city}{district}{rng.choice(trade.brands)}{rng.choice(trade.suffixes)}"
        if merchant_id not in used_ids and name not in used_names:
            break
    used_ids.add(merchant_id)
    used_names.add(name)
    cashier_count = rng.randint(2, 6)
    cashiers = tuple(f"{number:03d}" for number in range(1, cashier_count + 1))
    return Merchant(merchant_id, name, trade, tenant, rng.choice(trade.order_prefixes), cashiers)


def _new_terminal(rng: random.Random, merchant: Merchant, location: str, start: date,
                  used: set[str]) -> Terminal:
    while True:
        terminal_id = f"6{rng.randrange(10**7):07d}"
        if terminal_id not in used:
            break
    used.add(terminal_id)
    model = rng.choice(TERMINAL_MODELS)
    installed = start - timedelta(days=rng.randint(120, 2200))
    maintained = installed + timedelta(days=rng.randint(30, (start - installed).days - 1))
    return Terminal(
        terminal_id=terminal_id, merchant_id=merchant.merchant_id, model=model.name,
        serial=f"{model.serial_prefix}{rng.randrange(10**10):010d}", firmware=rng.choice(model.firmwares),
        location=location, installed_at=installed, last_maintenance_at=maintained,
    )
