"""The generator's state: unique identifiers, where scenarios go, and the records accepted so far."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from recoup.demo.catalog import (
    CARD_BINS,
    FIRST_HOUR,
    GIVEN_NAMES,
    HOUR_WEIGHTS,
    MAIL_DOMAINS,
    MOBILE_PREFIXES,
    SURNAMES,
)
from recoup.demo.guard import LinkGuard
from recoup.demo.model import Card, Draft, ExpectedFinding, Line, Order, Planted, Settlement
from recoup.demo.registry import Merchant, Terminal

SHANGHAI = timezone(timedelta(hours=8))
CLOSING = time(21, 40)


class Unfit(Exception):
    """Raised by a scenario that cannot be placed in the slot it was given; another slot is tried."""


@dataclass(frozen=True)
class Slot:
    merchant: Merchant
    terminal: Terminal
    at: datetime
    cashier_id: str


def luhn_digit(body: str) -> str:
    total = 0
    for index, char in enumerate(reversed(body)):
        digit = int(char)
        if index % 2 == 0:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return str((10 - total % 10) % 10)


class World:
    def __init__(self, rng: random.Random, merchants: list[Merchant], start: date, days: int,
                 full_pan_share: float) -> None:
        self.rng = rng
        self.merchants = merchants
        self.start = start
        self.days = days
        self.full_pan_share = full_pan_share
        self.orders: list[Order] = []
        self.lines: list[Line] = []
        self.settlements: list[Settlement] = []
        self.findings: list[ExpectedFinding] = []
        self.planted: list[Planted] = []
        self._guard = LinkGuard()
        self._rrns: set[str] = set()
        self._order_nos: set[str] = set()
        self._masked_cards: set[str] = set()
        self._terminals = [terminal for merchant in merchants for terminal in merchant.terminals]
        self._merchant_of = {merchant.merchant_id: merchant for merchant in merchants}

    @property
    def last_day(self) -> date:
        return self.start + timedelta(days=self.days - 1)

    def place(self, scenario: Callable[[Slot, Draft], None], name: str, *, anomaly: bool,
              merchant: Merchant | None = None, day: date | None = None, attempts: int = 40) -> bool:
        """Put one scenario somewhere it meets no other by accident; False when no slot would do."""
        for _ in range(attempts):
            slot = self.slot(merchant, day)
            draft = Draft(name, anomaly)
            try:
                scenario(slot, draft)
            except Unfit:
                continue
            if self._guard.accepts(draft):
                self._commit(draft)
                return True
        return False

    def slot(self, merchant: Merchant | None = None, day: date | None = None) -> Slot:
        terminal = self.rng.choice(merchant.terminals if merchant else self._terminals)
        owner = self._merchant_of[terminal.merchant_id]
        on = day or self.start + timedelta(days=self.rng.randrange(self.days))
        hour = FIRST_HOUR + self.rng.choices(range(len(HOUR_WEIGHTS)), weights=HOUR_WEIGHTS)[0]
        at = datetime.combine(on, time(hour, self.rng.randrange(60), self.rng.randrange(60)), SHANGHAI)
        return Slot(owner, terminal, at, self.rng.choice(owner.cashiers))

    def _commit(self, draft: Draft) -> None:
        self._guard.add(draft)
        self.orders += draft.orders
        self.lines += draft.lines
        self.settlements += draft.settlements
        self.findings += draft.findings
        self.planted.append(draft.planted())

    # Unique identifiers -------------------------------------------------------------------------

    def new_rrn(self) -> str:
        while True:
            rrn = f"{self.rng.randrange(10**11, 10**12)}"
            if rrn not in self._rrns:
                self._rrns.add(rrn)
                return rrn

    def new_card(self) -> Card:
        """A card seen nowhere else: no two cards share a masked form, so none meet by accident."""
        while True:
            length = 16 if self.rng.random() < 0.6 else 19
            body = f"{self.rng.choice(CARD_BINS)}{self.rng.randrange(10 ** (length - 7)):0{length - 7}d}"
            card = Card(body + luhn_digit(body))
            if card.masked not in self._masked_cards:
                self._masked_cards.add(card.masked)
                return card

    def new_order_no(self, merchant: Merchant, on: date) -> str:
        while True:
            order_no = f"{merchant.order_prefix}{on:%Y%m%d}{self.rng.randrange(10**10):010d}"
            if order_no not in self._order_nos:
                self._order_nos.add(order_no)
                return order_no

    def new_auth_code(self) -> str:
        return f"{self.rng.randrange(10**6):06d}"

    def new_contact(self) -> str:
        roll = self.rng.random()
        if roll < 0.45:
            return ""
        if roll < 0.8:
            return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
        name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN_NAMES)
        return f"{name}{self.rng.randrange(1, 100)}@{self.rng.choice(MAIL_DOMAINS)}"

    def shows_full_pan(self) -> bool:
        return self.rng.random() < self.full_pan_share

    def later(self, after: datetime) -> datetime:
        """A time after `after` within the data's days, for a refund: later that day or on a later day."""
        closing = datetime.combine(after.date(), CLOSING, SHANGHAI)
        choices: list[datetime] = []
        if closing - after > timedelta(minutes=45):
            span = int((closing - after).total_seconds()) - 1800
            choices.append(after + timedelta(seconds=1800 + self.rng.randrange(span)))
        for offset in range(1, (self.last_day - after.date()).days + 1):
            on = after.date() + timedelta(days=offset)
            moment = time(self.rng.randint(9, 20), self.rng.randrange(60), self.rng.randrange(60))
            choices.append(datetime.combine(on, moment, SHANGHAI))
        if not choices:
            raise Unfit("no time left for a later transaction")
        return self.rng.choice(choices[:3])
