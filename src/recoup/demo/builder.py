"""The verbs scenarios are written with: take an order, charge a card, void, refund, settle, expect."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from recoup.demo.amounts import key_error
from recoup.demo.model import Card, Draft, ExpectedFinding, Line, Order, Settlement
from recoup.demo.world import Slot, Unfit, World

SETTLEMENT_ORDER_NO_SHARE = 0.55
ORDER_TERMINAL_SHARE = 0.7


class Builder:
    def __init__(self, world: World, slot: Slot, draft: Draft) -> None:
        self.world = world
        self.slot = slot
        self.draft = draft
        self.merchant = slot.merchant
        self.terminal = slot.terminal
        self.at = slot.at

    @property
    def rng(self) -> random.Random:
        return self.world.rng

    # Amounts, cards and times -------------------------------------------------------------------

    def amount(self) -> int:
        """A price this merchant's trade would charge: mostly small, in whole yuan for a share of them."""
        trade = self.merchant.trade
        minor = int(math.exp(self.rng.uniform(math.log(trade.min_minor), math.log(trade.max_minor))))
        if self.rng.random() < trade.round_share:
            return max(100, minor // 100 * 100)
        return minor

    def keyed_amounts(self, cause: str, upward: bool) -> tuple[int, int]:
        """An expected amount and what the cashier keyed instead, with that cause."""
        for _ in range(60):
            expected = self.amount()
            charged = key_error(expected, cause, upward, self.rng)
            if charged is not None:
                return expected, charged
        raise Unfit(f"no {cause} amount found")

    def card(self) -> Card:
        return self.world.new_card()

    def after(self, moment: datetime, low_seconds: int, high_seconds: int) -> datetime:
        return moment + timedelta(seconds=self.rng.randint(low_seconds, high_seconds))

    def later(self, moment: datetime) -> datetime:
        return self.world.later(moment)

    # Records ------------------------------------------------------------------------------------

    def order(self, expected_minor: int, created_at: datetime | None = None, *,
              names_terminal: bool | None = None) -> Order:
        created = created_at or self.at
        if names_terminal is None:
            names_terminal = self.rng.random() < ORDER_TERMINAL_SHARE
        order = Order(
            order_no=self.world.new_order_no(self.merchant, created.date()), merchant=self.merchant,
            terminal_id=self.terminal.terminal_id if names_terminal else "", created_at=created,
            expected_minor=expected_minor, cashier_id=self.slot.cashier_id, contact=self.world.new_contact(),
        )
        self.draft.orders.append(order)
        return order

    def sale(self, amount_minor: int, at: datetime, card: Card, order: Order | None = None, *,
             status: str = "APPROVED", txn_type: str = "SALE", orig_rrn: str = "") -> Line:
        line = Line(
            merchant=self.merchant, terminal=self.terminal, txn_time=at, txn_type=txn_type, status=status,
            amount_minor=amount_minor, rrn=self.world.new_rrn(), card=card,
            show_full_pan=self.world.shows_full_pan(), order_no=order.order_no if order else "",
            cashier_id=self.slot.cashier_id, orig_rrn=orig_rrn,
            auth_code=self.world.new_auth_code() if status == "APPROVED" else "",
        )
        self.draft.lines.append(line)
        return line

    def paid_order(self, expected_minor: int | None = None) -> tuple[Order, Line]:
        """An order and the one correct sale that pays it (the order number on the sale)."""
        amount = expected_minor or self.amount()
        order = self.order(amount)
        return order, self.sale(amount, self.after(order.created_at, 15, 150), self.card(), order)

    def undo(self, txn_type: str, original: Line, at: datetime, amount_minor: int | None = None, *,
             status: str = "APPROVED") -> Line:
        """A VOID, REFUND or REVERSAL naming `original` in orig_rrn."""
        line = Line(
            merchant=original.merchant, terminal=original.terminal, txn_time=at, txn_type=txn_type,
            status=status, amount_minor=original.amount_minor if amount_minor is None else amount_minor,
            rrn=self.world.new_rrn(), card=original.card, show_full_pan=self.world.shows_full_pan(),
            order_no=original.order_no, cashier_id=original.cashier_id, orig_rrn=original.rrn,
            auth_code=self.world.new_auth_code() if status == "APPROVED" and txn_type != "REVERSAL" else "",
        )
        self.draft.lines.append(line)
        return line

    def settle(self, line: Line, amount_minor: int | None = None) -> Settlement:
        settlement = Settlement(
            merchant=line.merchant, terminal_id=line.terminal.terminal_id, txn_time=line.txn_time,
            txn_type=line.txn_type, rrn=line.rrn, card=line.card,
            amount_minor=line.amount_minor if amount_minor is None else amount_minor,
            order_no=line.order_no if self.rng.random() < SETTLEMENT_ORDER_NO_SHARE else "",
            mcc=line.merchant.mcc, fee_bp=line.merchant.trade.fee_bp,
        )
        self.draft.settlements.append(settlement)
        return settlement

    def stray_settlement(self, amount_minor: int, at: datetime) -> Settlement:
        """A settlement line the terminal never recorded."""
        settlement = Settlement(
            merchant=self.merchant, terminal_id=self.terminal.terminal_id, txn_time=at, txn_type="SALE",
            rrn=self.world.new_rrn(), card=self.card(), amount_minor=amount_minor, order_no="",
            mcc=self.merchant.mcc, fee_bp=self.merchant.trade.fee_bp,
        )
        self.draft.settlements.append(settlement)
        return settlement

    def link(self, sale: Line, order: Order | None) -> None:
        """Declare the order rule 2 must give a sale without an order number (None: no order)."""
        self.draft.intended_links[sale.rrn] = order

    def expect(self, kind: str, key: str, *, cause: str = "", alt_keys: tuple[str, ...] = (),
               alt_causes: tuple[str, ...] = (), related_rrn: str = "", order_no: str = "",
               charged_minor: int = 0, expected_minor: int = 0) -> None:
        self.draft.findings.append(ExpectedFinding(
            kind=kind, key=key, cause=cause, alt_keys=alt_keys, alt_causes=alt_causes,
            merchant_id=self.merchant.merchant_id, terminal_id=self.terminal.terminal_id,
            related_rrn=related_rrn, order_no=order_no, charged_minor=charged_minor,
            expected_minor=expected_minor,
        ))
