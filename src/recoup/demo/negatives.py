"""Scenarios that look like mis-charges but are not: SPEC section 4 must report nothing for them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from recoup.demo.amounts import DECIMAL_SHIFT, EXTRA_DIGIT, MISSING_DIGIT
from recoup.demo.builder import Builder
from recoup.demo.world import CLOSING, SHANGHAI, Unfit

Scenario = Callable[[Builder], None]


def clean_sale(b: Builder) -> None:
    _, sale = b.paid_order()
    b.settle(sale)


def clean_sale_by_rule_two(b: Builder) -> None:
    """The terminal did not record the order number; rule 2 links the sale by time and equal amount."""
    amount = b.amount()
    order = b.order(amount)
    sale = b.sale(amount, b.after(order.created_at, 15, 200), b.card())
    b.link(sale, order)
    b.settle(sale)


def legit_void(b: Builder) -> None:
    """Voided at once (often a keyed error), charged again correctly; neither the void nor its sale settle."""
    if b.rng.random() < 0.5:
        expected, first_amount = b.keyed_amounts(EXTRA_DIGIT, True)
    else:
        expected = first_amount = b.amount()
    order = b.order(expected)
    card = b.card()
    sale = b.sale(first_amount, b.after(order.created_at, 20, 200), card, order)
    void = b.undo("VOID", sale, b.after(sale.txn_time, 30, 240))
    b.settle(b.sale(expected, b.after(void.txn_time, 20, 120), card, order))


def refund(b: Builder, full: bool) -> None:
    """A refund that settles, of part or all of a settled sale."""
    _, sale = b.paid_order()
    b.settle(sale)
    amount = sale.amount_minor if full else max(1, sale.amount_minor * b.rng.randint(10, 90) // 100)
    b.settle(b.undo("REFUND", sale, b.later(sale.txn_time), amount))


def same_card_same_amount(b: Builder, gap_low: int, gap_high: int) -> None:
    """One card pays the same amount for two different orders: not a duplicate, near or far apart."""
    amount = b.amount()
    card = b.card()
    first_order = b.order(amount)
    first = b.sale(amount, b.after(first_order.created_at, 15, 120), card, first_order)
    second_at = b.after(first.txn_time, gap_low, gap_high)
    if second_at > datetime.combine(first.txn_time.date(), CLOSING, SHANGHAI):
        raise Unfit("the second visit would fall after closing")
    second_order = b.order(amount, second_at - timedelta(seconds=b.rng.randint(15, 50)))
    b.settle(first)
    b.settle(b.sale(amount, second_at, card, second_order))


def declined_then_approved(b: Builder) -> None:
    """Declined, then approved on a retry (with the same card or another one)."""
    amount = b.amount()
    order = b.order(amount)
    card = b.card()
    declined = b.sale(amount, b.after(order.created_at, 15, 150), card, order, status="DECLINED")
    retry_card = card if b.rng.random() < 0.6 else b.card()
    b.settle(b.sale(amount, b.after(declined.txn_time, 20, 120), retry_card, order))


def failed_then_approved(b: Builder) -> None:
    """FAILED or TIMEOUT and never cleared, then approved on a retry."""
    amount = b.amount()
    order = b.order(amount)
    card = b.card()
    failed = b.sale(amount, b.after(order.created_at, 15, 150), card, order,
                    status=b.rng.choice(("FAILED", "TIMEOUT")))
    b.settle(b.sale(amount, b.after(failed.txn_time, 40, 180), card, order))


def reversed_then_retried(b: Builder, reversal_settles: bool) -> None:
    """A timed-out sale reversed, then charged again; the acquirer cleared the sale and its reversal, or
    neither."""
    amount = b.amount()
    order = b.order(amount)
    card = b.card()
    sale = b.sale(amount, b.after(order.created_at, 15, 150), card, order, status="TIMEOUT")
    reversal = b.undo("REVERSAL", sale, b.after(sale.txn_time, 25, 90))
    if reversal_settles:
        b.settle(sale)
        b.settle(reversal)
    b.settle(b.sale(amount, b.after(reversal.txn_time, 30, 150), card, order))


def split_tender(b: Builder) -> None:
    """Two cards pay one order; their sum is the order's amount."""
    amount = b.amount()
    if amount < 5_000:
        raise Unfit("too small to split between two cards")
    first_part = amount * b.rng.randint(20, 80) // 100
    order = b.order(amount)
    first = b.sale(first_part, b.after(order.created_at, 15, 120), b.card(), order)
    b.settle(first)
    b.settle(b.sale(amount - first_part, b.after(first.txn_time, 30, 180), b.card(), order))


def preauth_completed(b: Builder) -> None:
    """A deposit held by PREAUTH at check-in, completed at check-out for the bill (never settled itself)."""
    amount = b.amount()
    hold = (amount // 50_000 + 1) * 50_000
    opening = datetime.combine(b.at.date(), datetime.min.time(), SHANGHAI) + timedelta(hours=8)
    held_at = max(opening, b.at - timedelta(hours=b.rng.randint(1, 6)))
    if b.at - held_at < timedelta(minutes=10):
        raise Unfit("no room for the hold before the completion")
    card = b.card()
    hold_line = b.sale(hold, held_at, card, txn_type="PREAUTH")
    order = b.order(amount)
    completion = b.sale(amount, b.after(order.created_at, 20, 150), card, order,
                        txn_type="PREAUTH_COMPLETE", orig_rrn=hold_line.rrn)
    b.settle(completion)


def refunded_overcharge(b: Builder) -> None:
    """Over-charged by a keyed error and the difference already refunded (and settled): nothing is due."""
    expected, charged = b.keyed_amounts(b.rng.choice((EXTRA_DIGIT, DECIMAL_SHIFT)), True)
    order = b.order(expected)
    sale = b.sale(charged, b.after(order.created_at, 20, 200), b.card(), order)
    b.settle(sale)
    b.settle(b.undo("REFUND", sale, b.later(sale.txn_time), charged - expected))


def difference_collected(b: Builder) -> None:
    """Under-charged by a keyed error, then the difference charged as a second payment of the order."""
    expected, charged = b.keyed_amounts(b.rng.choice((MISSING_DIGIT, DECIMAL_SHIFT)), False)
    order = b.order(expected)
    card = b.card()
    first = b.sale(charged, b.after(order.created_at, 20, 200), card, order)
    rest = expected - charged
    second = b.sale(rest, b.after(first.txn_time, 60, 300), card if rest != charged else b.card(), order)
    b.settle(first)
    b.settle(second)


NEGATIVES: dict[str, Scenario] = {
    "NEGATIVE:linked_by_rule_two": clean_sale_by_rule_two,
    "NEGATIVE:legit_void": legit_void,
    "NEGATIVE:partial_refund": lambda b: refund(b, full=False),
    "NEGATIVE:full_refund": lambda b: refund(b, full=True),
    "NEGATIVE:same_card_two_orders_apart": lambda b: same_card_same_amount(b, 15 * 60, 90 * 60),
    "NEGATIVE:same_card_two_orders_close": lambda b: same_card_same_amount(b, 60, 8 * 60),
    "NEGATIVE:declined_then_approved": declined_then_approved,
    "NEGATIVE:failed_then_approved": failed_then_approved,
    "NEGATIVE:reversed_retried_both_settled": lambda b: reversed_then_retried(b, reversal_settles=True),
    "NEGATIVE:reversed_retried_unsettled": lambda b: reversed_then_retried(b, reversal_settles=False),
    "NEGATIVE:split_tender": split_tender,
    "NEGATIVE:preauth_completed": preauth_completed,
    "NEGATIVE:refunded_overcharge": refunded_overcharge,
    "NEGATIVE:difference_collected": difference_collected,
}
