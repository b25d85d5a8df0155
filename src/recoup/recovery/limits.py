"""Refund limits (SPEC section 6): the refunds and voids of a sale never add up to more than the sale.

Pure rules over what is already recorded for the sale. Pending and confirmed actions count
(money may be on its way); failed ones do not. The service calls `check_refund` while holding a
lock on the sale, so concurrent requests are checked one after the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from recoup.errors import Conflict, InvalidInput
from recoup.money import Money


class ActionKind(StrEnum):
    VOID = "VOID"
    REVERSAL = "REVERSAL"
    REFUND = "REFUND"


class ActionStatus(StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    FAILED = "FAILED"


COUNTING_STATUSES = frozenset({ActionStatus.PENDING, ActionStatus.CONFIRMED})
# A void or reversal cancels the whole sale: it is for the full amount and nothing may follow it.
CANCELLING_KINDS = frozenset({ActionKind.VOID, ActionKind.REVERSAL})


class RefundLimitExceeded(Conflict):
    """A refund, void or reversal that would take back more than the sale."""


@dataclass(frozen=True)
class PriorAction:
    """A void, reversal or refund already recorded against the sale."""

    kind: ActionKind
    status: ActionStatus
    amount: Money

    @property
    def counts(self) -> bool:
        return ActionStatus(self.status) in COUNTING_STATUSES


def committed(sale: Money, actions: Iterable[PriorAction]) -> Money:
    """What pending and confirmed actions already take back from the sale."""
    total = Money(0, sale.currency)
    for action in actions:
        _require_same_currency(sale, action.amount)
        if action.counts:
            total = total + action.amount
    return total


def overdrawn(sale: Money, actions: Iterable[PriorAction]) -> Money:
    """How much the counting actions take back beyond the sale (zero when the limit holds): what
    `recoup ledger verify` checks of every sale, whatever path recorded its actions."""
    excess = committed(sale, actions) - sale
    return excess if excess.minor > 0 else Money(0, sale.currency)


def remaining_refundable(sale: Money, actions: Iterable[PriorAction]) -> Money:
    """How much may still be refunded: the sale less what counts, never below zero, and nothing
    once a void or reversal counts."""
    _require_positive(sale, "the sale")
    recorded = list(actions)
    if any(ActionKind(a.kind) in CANCELLING_KINDS and a.counts for a in recorded):
        return Money(0, sale.currency)
    left = sale - committed(sale, recorded)
    return left if left.minor > 0 else Money(0, sale.currency)


def check_refund(
    sale: Money, actions: Iterable[PriorAction], kind: ActionKind | str, amount: Money
) -> Money:
    """Accept a new action of `kind` for `amount` or raise RefundLimitExceeded (409); returns what
    remains refundable once the new action counts."""
    action_kind = _parse_kind(kind)
    _require_positive(sale, "the sale")
    _require_positive(amount, f"the {action_kind.lower()}")
    _require_same_currency(sale, amount)
    recorded = list(actions)
    remaining = remaining_refundable(sale, recorded)
    if action_kind in CANCELLING_KINDS:
        _check_cancellation(sale, recorded, action_kind, amount)
    elif amount > remaining:
        already = committed(sale, recorded)
        raise RefundLimitExceeded(
            f"a refund of {amount} would exceed the sale: {sale} sold, {already} already refunded "
            f"or voided (pending or confirmed), {remaining} left to refund",
            detail=_detail(sale, already, remaining, amount),
        )
    return remaining - amount


def _check_cancellation(sale: Money, recorded: list[PriorAction], kind: ActionKind, amount: Money) -> None:
    already = committed(sale, recorded)
    remaining = remaining_refundable(sale, recorded)
    if already.minor > 0:
        raise RefundLimitExceeded(
            f"a {kind.lower()} cancels the whole sale, but {already} of it is already refunded or "
            f"voided (pending or confirmed): refund the remaining {remaining} instead",
            detail=_detail(sale, already, remaining, amount),
        )
    if amount != sale:
        raise InvalidInput(f"a {kind.lower()} cancels the whole sale of {sale}, not {amount}")


def _detail(sale: Money, already: Money, remaining: Money, requested: Money) -> dict[str, object]:
    return {
        "currency": sale.currency,
        "sale_minor": sale.minor,
        "committed_minor": already.minor,
        "remaining_minor": remaining.minor,
        "requested_minor": requested.minor,
    }


def _parse_kind(kind: ActionKind | str) -> ActionKind:
    try:
        return ActionKind(kind)
    except ValueError:
        raise InvalidInput(f"unknown recovery action {kind!r}; expected VOID, REVERSAL or REFUND") from None


def _require_positive(amount: Money, what: str) -> None:
    if amount.minor <= 0:
        raise InvalidInput(f"{what} must be a positive amount, not {amount}")


def _require_same_currency(sale: Money, amount: Money) -> None:
    if amount.currency != sale.currency:
        raise InvalidInput(f"the sale is in {sale.currency}, the amount in {amount.currency}")
