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


def best_first_links(candidates: Iterable[LinkCandidate]) -> list[tuple[int, int]]:
    """(sale_line, order_line) pairs chosen greedily; ties fall to content, never to file order."""
    plausible = [c for c in candidates if plausibly_related(c.sale_minor, c.order_minor)]
    # Full ranking key ends with the amounts and times so that identical-looking pairs sort stably.
    plausible.sort(key=lambda c: (*c.rank(), c.sale_time, c.order_time, c.sale_minor, c.order_minor))
    used_sales: set[int] = set()
    used_orders: set[int] = set()
    links = []
    for candidate in plausible:
        if candidate.sale_line in used_sales or candidate.order_line in used_orders:
            continue
        used_sales.add(candidate.sale_line)
        used_orders.add(candidate.order_line)
        links.append((candidate.sale_line, candidate.order_line))
    return links
