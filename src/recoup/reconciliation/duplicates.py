"""Duplicate charges (SPEC section 4), over the candidate sales SQL found.

Sales in force with no approved refund are grouped by merchant, card and amount in time order
(then RRN): the earliest opens a group that takes every later sale within 10 minutes of it
(inclusive); the next sale after that opens the next group. After the first, a sale is a duplicate
when it links to no order or to an order an earlier sale of its group links to.

Cards: the same card when the masked forms are equal and, where both have a token, the tokens
are equal. Within one merchant, masked card and amount, lines without a token join the tokened
ones unless two different tokens show there are really several cards; then each token is its own
card and the untokened lines form one more.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class SaleForDuplicates:
    line: int
    merchant_id: str
    card_masked: str | int  # the masked form, or its 64-bit hash in a file run: only compared
    card_token: str | None
    amount_minor: int
    currency: str
    txn_time: datetime
    rrn: str
    order_line: int | None  # the order it links to (rule 1 or 2), if any

    def order_key(self) -> tuple[datetime, str, int | None]:
        return self.txn_time, self.rrn or "", self.order_line


def _card_groups(sales: list[SaleForDuplicates]) -> list[list[SaleForDuplicates]]:
    tokens = {sale.card_token for sale in sales if sale.card_token}
    if len(tokens) <= 1:
        return [sales]
    by_token: dict[str | None, list[SaleForDuplicates]] = defaultdict(list)
    for sale in sales:
        by_token[sale.card_token].append(sale)
    return list(by_token.values())


def _groups_in_time(sales: list[SaleForDuplicates]) -> list[list[SaleForDuplicates]]:
    """Anchored 10-minute groups: each group is measured from its first sale."""
    groups: list[list[SaleForDuplicates]] = []
    for sale in sorted(sales, key=SaleForDuplicates.order_key):
        if groups and sale.txn_time - groups[-1][0].txn_time <= WINDOW:
            groups[-1].append(sale)
        else:
            groups.append([sale])
    return groups


def _duplicates_in_group(group: list[SaleForDuplicates]) -> list[tuple[int, int]]:
    first = group[0]
    linked_before = {first.order_line}
    found = []
    for sale in group[1:]:
        if sale.order_line is None or sale.order_line in linked_before:
            found.append((sale.line, first.line))
        linked_before.add(sale.order_line)
    return found


def find_duplicates(candidates: Iterable[SaleForDuplicates]) -> list[tuple[int, int]]:
    """(duplicate line, first line of its group) for every duplicate among the candidates."""
    partitions: dict[tuple[str, str | int, int, str], list[SaleForDuplicates]] = defaultdict(list)
    for sale in candidates:
        partitions[(sale.merchant_id, sale.card_masked, sale.amount_minor, sale.currency)].append(sale)
    found = []
    for partition in partitions.values():
        for card_sales in _card_groups(partition):
            for group in _groups_in_time(card_sales):
                found += _duplicates_in_group(group)
    return found
