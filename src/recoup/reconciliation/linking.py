"""Rule 2 of linking sales to orders: best first over the candidate pairs SQL found.

Candidates are pairs of a sale in force without order_no and an order nobody links to yet, of the
same merchant (and terminal where the order names one), within 30 minutes either way. Only pairs
with plausibly related amounts count; they are taken equal amounts first, then nearest in time,
then by RRN and order number, each sale and each order at most once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from recoup.reconciliation.causes import plausibly_related


@dataclass(frozen=True)
class LinkCandidate:
    sale_line: int
    order_line: int
    sale_minor: int
    order_minor: int
    sale_time: datetime
    order_time: datetime
    rrn: str
    order_no: str

    def rank(self) -> tuple[int, float, str, str]:
        unequal = 0 if self.sale_minor == self.order_minor else 1
        distance = abs((self.sale_time - self.order_time).total_seconds())
        return unequal, distance, self.rrn or "", self.order_no


def greedy_links(ranked: Iterable[tuple[int, int, int, int]]) -> list[tuple[int, int, int]]:
    """(sale_line, order_line, order_minor) chosen from (sale_line, order_line, sale_minor, order_minor)
    candidates already in rank order (LinkCandidate.rank, then times and amounts): the plausible pairs,
    first come first, each sale and each order at most once."""
    used_sales: set[int] = set()
    used_orders: set[int] = set()
    links = []
    for sale_line, order_line, sale_minor, order_minor in ranked:
        if sale_line in used_sales or order_line in used_orders:
            continue
        if sale_minor != order_minor and not plausibly_related(sale_minor, order_minor):
            continue
        used_sales.add(sale_line)
        used_orders.add(order_line)
        links.append((sale_line, order_line, order_minor))
    return links


def best_first_links(candidates: Iterable[LinkCandidate]) -> list[tuple[int, int]]:
    """(sale_line, order_line) pairs chosen greedily; ties fall to content, never to file order."""
    # Full ranking key ends with the amounts and times so that identical-looking pairs sort stably.
    ranked = sorted(candidates, key=lambda c: (*c.rank(), c.sale_time, c.order_time, c.sale_minor, c.order_minor))
    chosen = greedy_links((c.sale_line, c.order_line, c.sale_minor, c.order_minor) for c in ranked)
    return [(sale_line, order_line) for sale_line, order_line, _ in chosen]
