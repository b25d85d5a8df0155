"""Keeps planted scenarios from meeting by accident under rule 2 of linking (SPEC section 4).

Rule 2 links a sale in force without an order number to a nearby order of its merchant that no sale
names, when the amounts are plausibly related. A scenario says which order each such sale must get
(or none); the guard refuses it when any other pairing would be possible. It judges generously (a
wider time window, a looser amount relation, any terminal of the merchant) so that small differences
in how a reconciliation engine reads the rule cannot change the outcome either.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from recoup.demo.amounts import loosely_related, plausibly_related
from recoup.demo.model import Draft, Line, Order

LINK_WINDOW = timedelta(minutes=30)
GUARD_WINDOW = timedelta(minutes=40)
_BUCKET_SECONDS = 3600


def _bucket(merchant_id: str, moment: datetime) -> tuple[str, int]:
    return merchant_id, int(moment.timestamp()) // _BUCKET_SECONDS


def _near_buckets(merchant_id: str, moment: datetime) -> list[tuple[str, int]]:
    _, hour = _bucket(merchant_id, moment)
    return [(merchant_id, hour + step) for step in (-1, 0, 1)]


class LinkGuard:
    def __init__(self) -> None:
        self._free_orders: dict[tuple[str, int], list[Order]] = defaultdict(list)
        self._seekers: dict[tuple[str, int], list[Line]] = defaultdict(list)
        self._intended: dict[str, str] = {}  # seeker rrn -> order number ("" for none)

    def accepts(self, draft: Draft) -> bool:
        free_orders, seekers = _free_orders_and_seekers(draft)
        intended = {rrn: order.order_no if order else "" for rrn, order in draft.intended_links.items()}
        for seeker in seekers:
            _check_intended_link(seeker, draft.intended_links.get(seeker.rrn))
            found = {order.order_no for order in self._orders_near(seeker, free_orders)}
            if found != ({intended[seeker.rrn]} - {""}):
                return False
        for order in free_orders:
            found = {seeker.rrn for seeker in self._seekers_near(order, seekers)}
            every_intended = self._intended | intended
            wanted = {rrn for rrn, order_no in every_intended.items() if order_no == order.order_no}
            if found != wanted:
                return False
        return True

    def add(self, draft: Draft) -> None:
        free_orders, seekers = _free_orders_and_seekers(draft)
        for order in free_orders:
            self._free_orders[_bucket(order.merchant.merchant_id, order.created_at)].append(order)
        for seeker in seekers:
            self._seekers[_bucket(seeker.merchant.merchant_id, seeker.txn_time)].append(seeker)
        self._intended |= {rrn: order.order_no if order else ""
                           for rrn, order in draft.intended_links.items()}

    def _orders_near(self, seeker: Line, draft_orders: list[Order]) -> list[Order]:
        pool = [order for key in _near_buckets(seeker.merchant.merchant_id, seeker.txn_time)
                for order in self._free_orders.get(key, [])]
        return [order for order in pool + draft_orders if _may_pair(seeker, order)]

    def _seekers_near(self, order: Order, draft_seekers: list[Line]) -> list[Line]:
        pool = [seeker for key in _near_buckets(order.merchant.merchant_id, order.created_at)
                for seeker in self._seekers.get(key, [])]
        return [seeker for seeker in pool + draft_seekers if _may_pair(seeker, order)]


def _free_orders_and_seekers(draft: Draft) -> tuple[list[Order], list[Line]]:
    in_force = draft.in_force_sales()
    named = {sale.order_no for sale in in_force if sale.order_no}
    seekers = [sale for sale in in_force if not sale.order_no]
    missing = [sale.rrn for sale in seekers if sale.rrn not in draft.intended_links]
    if missing:
        raise AssertionError(f"{draft.scenario}: no intended link given for sales {missing}")
    return [order for order in draft.orders if order.order_no not in named], seekers


def _may_pair(seeker: Line, order: Order) -> bool:
    return (seeker.merchant.merchant_id == order.merchant.merchant_id
            and abs(seeker.txn_time - order.created_at) <= GUARD_WINDOW
            and loosely_related(seeker.amount_minor, order.expected_minor))


def _check_intended_link(seeker: Line, order: Order | None) -> None:
    """An intended link must meet the SPEC's rule 2 exactly, well inside its limits."""
    if order is None:
        return
    fits = (order.merchant is seeker.merchant
            and order.terminal_id in ("", seeker.terminal.terminal_id)
            and abs(seeker.txn_time - order.created_at) <= LINK_WINDOW - timedelta(minutes=5)
            and plausibly_related(seeker.amount_minor, order.expected_minor))
    if not fits:
        raise AssertionError(f"sale {seeker.rrn} cannot link to order {order.order_no} under rule 2")
