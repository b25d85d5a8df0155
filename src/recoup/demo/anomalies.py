"""Scenarios that plant a mis-charge, each with the findings SPEC section 4 must report for it.

Every scenario uses fresh cards (none shared with another scenario) and declares the rule-2 link of
each sale it makes without an order number, so the guard can keep scenarios from interacting.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from recoup.demo.amounts import (
    DECIMAL_SHIFT,
    EXTRA_DIGIT,
    MISSING_DIGIT,
    OTHER,
    OVER_CAUSES,
    UNDER_CAUSES,
    key_error,
)
from recoup.demo.builder import Builder
from recoup.demo.world import Unfit

Scenario = Callable[[Builder], None]
RULE_TWO_SHARE = 0.3


def keyed_amount(b: Builder, cause: str, upward: bool, by_rule_two: bool | None = None) -> None:
    """The cashier keyed a wrong amount for an order: an OVERCHARGE or UNDERCHARGE with its cause."""
    expected, charged = b.keyed_amounts(cause, upward)
    if by_rule_two is None:
        by_rule_two = cause != OTHER and b.rng.random() < RULE_TWO_SHARE
    order = b.order(expected)
    sale = b.sale(charged, b.after(order.created_at, 20, 240), b.card(), None if by_rule_two else order)
    if by_rule_two:
        b.link(sale, order)  # the sale carries no order number: rule 2 links it by a related amount
    b.settle(sale)
    alt_causes = ((EXTRA_DIGIT,) if upward else (MISSING_DIGIT,)) if cause == DECIMAL_SHIFT else ()
    b.expect("OVERCHARGE" if upward else "UNDERCHARGE", sale.rrn, cause=cause, alt_causes=alt_causes,
             order_no=order.order_no, charged_minor=charged, expected_minor=expected)


def keyed_amount_by_rule_two(b: Builder) -> None:
    upward = b.rng.random() < 0.5
    cause = b.rng.choice([cause for cause in (OVER_CAUSES if upward else UNDER_CAUSES) if cause != OTHER])
    keyed_amount(b, cause, upward, by_rule_two=True)


def duplicate_charge(b: Builder, second_names_order: bool) -> None:
    """The same card charged twice for one order within minutes; the second carries the order or none."""
    order, first = b.paid_order()
    second = b.sale(first.amount_minor, b.after(first.txn_time, 20, 420), first.card,
                    order if second_names_order else None)
    if not second_names_order:
        b.link(second, None)
    b.settle(first)
    b.settle(second)
    b.expect("DUPLICATE_CHARGE", second.rrn, related_rrn=first.rrn,
             order_no=order.order_no if second_names_order else "", charged_minor=second.amount_minor)


def failed_but_settled(b: Builder) -> None:
    """The terminal showed FAILED or TIMEOUT, the acquirer cleared it; the cashier may have retried."""
    amount = b.amount()
    order = b.order(amount)
    card = b.card()
    failed = b.sale(amount, b.after(order.created_at, 20, 200), card, order,
                    status=b.rng.choice(("FAILED", "TIMEOUT")))
    b.settle(failed)
    if b.rng.random() < 0.6:
        b.settle(b.sale(amount, b.after(failed.txn_time, 40, 180), card, order))
    b.expect("DEBITED_BUT_FAILED", failed.rrn, order_no=order.order_no, charged_minor=amount)


def reversed_but_settled(b: Builder) -> None:
    """A sale the terminal reversed, which settled all the same (the reversal did not)."""
    amount = b.amount()
    order = b.order(amount)
    card = b.card()
    sale = b.sale(amount, b.after(order.created_at, 20, 200), card, order,
                  status=b.rng.choice(("APPROVED", "APPROVED", "TIMEOUT")))
    reversal = b.undo("REVERSAL", sale, b.after(sale.txn_time, 25, 90))
    b.settle(sale)
    if b.rng.random() < 0.6:
        b.settle(b.sale(amount, b.after(reversal.txn_time, 30, 150), card, order))
    b.expect("DEBITED_BUT_FAILED", sale.rrn, alt_keys=(reversal.rrn,), related_rrn=reversal.rrn,
             order_no=order.order_no, charged_minor=amount)


def unanswered_reversal_but_settled(b: Builder) -> None:
    """The terminal sent a reversal that was never approved; the sale stays in force and settled."""
    order, sale = b.paid_order()
    reversal = b.undo("REVERSAL", sale, b.after(sale.txn_time, 25, 90),
                      status=b.rng.choice(("TIMEOUT", "FAILED", "DECLINED")))
    b.settle(sale)
    b.expect("DEBITED_BUT_FAILED", sale.rrn, alt_keys=(reversal.rrn,), related_rrn=reversal.rrn,
             order_no=order.order_no, charged_minor=sale.amount_minor)


def voided_but_settled(b: Builder) -> None:
    """A voided sale (often a keyed error, then charged again correctly) that settled anyway."""
    expected = b.amount()
    first_amount = expected
    if b.rng.random() < 0.4:
        first_amount = key_error(expected, EXTRA_DIGIT, True, b.rng) or expected
    order = b.order(expected)
    card = b.card()
    sale = b.sale(first_amount, b.after(order.created_at, 20, 200), card, order)
    void = b.undo("VOID", sale, b.after(sale.txn_time, 30, 240))
    resale_card = card if b.rng.random() < 0.7 else b.card()
    resale = b.sale(expected, b.after(void.txn_time, 20, 120), resale_card, order)
    b.settle(sale)
    b.settle(resale)
    b.expect("VOIDED_BUT_SETTLED", sale.rrn, alt_keys=(void.rrn,), related_rrn=void.rrn,
             order_no=order.order_no, charged_minor=first_amount)


def unsettled(b: Builder) -> None:
    order, sale = b.paid_order()
    b.expect("UNSETTLED", sale.rrn, order_no=order.order_no, expected_minor=sale.amount_minor)


def settlement_mismatch(b: Builder) -> None:
    """The acquirer cleared another amount than the terminal took (长款 or 短款)."""
    order, sale = b.paid_order()
    delta = b.rng.randint(1, max(1, sale.amount_minor // 3))
    settled = sale.amount_minor + delta if b.rng.random() < 0.4 else sale.amount_minor - delta
    if settled <= 0:
        raise Unfit("a settled amount must stay positive")
    b.settle(sale, settled)
    b.expect("SETTLEMENT_MISMATCH", sale.rrn, order_no=order.order_no, charged_minor=settled,
             expected_minor=sale.amount_minor)


def unknown_settlement(b: Builder) -> None:
    settlement = b.stray_settlement(b.amount(), b.at)
    b.expect("UNKNOWN_SETTLEMENT", settlement.rrn, charged_minor=settlement.amount_minor)


def refund_not_settled(b: Builder) -> None:
    order, sale = b.paid_order()
    b.settle(sale)
    amount = sale.amount_minor
    if b.rng.random() < 0.6:  # a partial refund
        amount = max(1, sale.amount_minor * b.rng.randint(10, 90) // 100)
    refund = b.undo("REFUND", sale, b.later(sale.txn_time), amount)
    b.expect("REFUND_NOT_SETTLED", refund.rrn, related_rrn=sale.rrn, order_no=order.order_no,
             expected_minor=amount)


def over_refund(b: Builder, keyed: bool) -> None:
    """Refunds of one sale that add up to more than the sale: a keyed refund (43.00 -> 430.00) or two."""
    order, sale = b.paid_order()
    if sale.amount_minor < 200:
        raise Unfit("too small to refund in parts")
    b.settle(sale)
    first_at = b.later(sale.txn_time)
    if keyed:
        intended = sale.amount_minor * b.rng.randint(20, 90) // 100
        refunds = [b.undo("REFUND", sale, first_at, intended * 10)]
    else:
        first_amount = sale.amount_minor * b.rng.randint(40, 80) // 100
        second_amount = sale.amount_minor - first_amount + b.rng.randint(1, first_amount)
        refunds = [b.undo("REFUND", sale, first_at, first_amount),
                   b.undo("REFUND", sale, b.after(first_at, 120, 1200), second_amount)]
    for refund in refunds:
        b.settle(refund)
    total = sum(refund.amount_minor for refund in refunds)
    b.expect("OVER_REFUND", refunds[-1].rrn, alt_keys=(sale.rrn,), related_rrn=sale.rrn,
             order_no=order.order_no, charged_minor=total, expected_minor=sale.amount_minor)


def unmatched_charge(b: Builder, with_unrelated_order: bool) -> None:
    """A charge no order explains; or one keyed so far off its order (OTHER) that nothing links them."""
    if with_unrelated_order:
        expected, charged = b.keyed_amounts(OTHER, b.rng.random() < 0.5)
        order = b.order(expected)
        sale = b.sale(charged, b.after(order.created_at, 20, 240), b.card())
        b.expect("UNPAID_ORDER", order.order_no, order_no=order.order_no, expected_minor=expected)
    else:
        sale = b.sale(b.amount(), b.at, b.card())
    b.link(sale, None)
    b.settle(sale)
    b.expect("UNMATCHED_CHARGE", sale.rrn, charged_minor=sale.amount_minor)


def unpaid_order(b: Builder, attempt: str) -> None:
    """An order nobody paid: the customer left, the card was declined, or the sale timed out unsettled."""
    order = b.order(b.amount())
    if attempt:
        b.sale(order.expected_minor, b.after(order.created_at, 20, 200), b.card(), order, status=attempt)
    b.expect("UNPAID_ORDER", order.order_no, order_no=order.order_no, expected_minor=order.expected_minor)


def _keyed_variants() -> dict[str, Scenario]:
    variants: dict[str, Scenario] = {}
    for cause in OVER_CAUSES:
        variants[f"OVERCHARGE:{cause}"] = partial(keyed_amount, cause=cause, upward=True)
    for cause in UNDER_CAUSES:
        variants[f"UNDERCHARGE:{cause}"] = partial(keyed_amount, cause=cause, upward=False)
    return variants


ANOMALIES: dict[str, Scenario] = {
    **_keyed_variants(),
    "KEYED_AMOUNT:rule_two": keyed_amount_by_rule_two,
    "DUPLICATE_CHARGE:same_order": partial(duplicate_charge, second_names_order=True),
    "DUPLICATE_CHARGE:no_order_no": partial(duplicate_charge, second_names_order=False),
    "DEBITED_BUT_FAILED:failed_settled": failed_but_settled,
    "DEBITED_BUT_FAILED:reversed_settled": reversed_but_settled,
    "DEBITED_BUT_FAILED:unanswered_reversal": unanswered_reversal_but_settled,
    "VOIDED_BUT_SETTLED": voided_but_settled,
    "UNSETTLED": unsettled,
    "SETTLEMENT_MISMATCH": settlement_mismatch,
    "UNKNOWN_SETTLEMENT": unknown_settlement,
    "REFUND_NOT_SETTLED": refund_not_settled,
    "OVER_REFUND:keyed": partial(over_refund, keyed=True),
    "OVER_REFUND:two_refunds": partial(over_refund, keyed=False),
    "UNMATCHED_CHARGE:no_order": partial(unmatched_charge, with_unrelated_order=False),
    "UNMATCHED_CHARGE:unrelated_order": partial(unmatched_charge, with_unrelated_order=True),
    "UNPAID_ORDER:walked_away": partial(unpaid_order, attempt=""),
    "UNPAID_ORDER:declined": partial(unpaid_order, attempt="DECLINED"),
    "UNPAID_ORDER:timeout_unsettled": partial(unpaid_order, attempt="TIMEOUT"),
}
