"""Double-entry rules of the merchant ledger (SPEC section 6): accounts, posting templates, checks.

Every merchant account is a bucket of the merchant's money; a line's `amount_minor` is signed
(+ debit, − credit) and an account's balance is the sum of its lines, so a positive balance is
money in that bucket (for PAYABLE_TO_PAYER: money sent to payers and not yet confirmed back).
External accounts (acquirer clearing, payer, bank) are the counterparts that make each posting
balance. Each template moves money from one account to another and returns the posting's lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from recoup.errors import Conflict, InvalidInput
from recoup.money import Money, exponent_of


class Account(StrEnum):
    AVAILABLE = "AVAILABLE"
    HELD = "HELD"
    PENDING_SETTLEMENT = "PENDING_SETTLEMENT"
    RECEIVABLE_FROM_PAYER = "RECEIVABLE_FROM_PAYER"
    PAYABLE_TO_PAYER = "PAYABLE_TO_PAYER"
    FEES = "FEES"
    ACQUIRER_CLEARING = "ACQUIRER_CLEARING"
    PAYER = "PAYER"
    BANK = "BANK"


A = Account
MERCHANT_ACCOUNTS = frozenset({A.AVAILABLE, A.HELD, A.PENDING_SETTLEMENT, A.RECEIVABLE_FROM_PAYER,
                               A.PAYABLE_TO_PAYER, A.FEES})
EXTERNAL_ACCOUNTS = frozenset({A.ACQUIRER_CLEARING, A.PAYER, A.BANK})


class LedgerIntegrityError(Conflict):
    """The ledger does not add up: an unbalanced posting or a stored balance that disagrees."""


@dataclass(frozen=True)
class LedgerLine:
    account: Account
    merchant_id: str
    amount_minor: int  # + debit, − credit
    currency: str

    def __post_init__(self) -> None:
        _require_minor_units(self.amount_minor, "a ledger line")
        if self.amount_minor == 0:
            raise InvalidInput("a ledger line moves a non-zero amount")
        if not self.merchant_id:
            raise InvalidInput("a ledger line belongs to a merchant")
        exponent_of(self.currency)
        # Lines loaded from storage carry the account as text; keep the enum.
        object.__setattr__(self, "account", _account(self.account))

    @property
    def debit_minor(self) -> int:
        return max(self.amount_minor, 0)

    @property
    def credit_minor(self) -> int:
        return max(-self.amount_minor, 0)


class BalanceKey(NamedTuple):
    merchant_id: str
    account: Account
    currency: str


Posting = list[LedgerLine]


# --- posting templates ------------------------------------------------------------------------

def sale_captured(merchant_id: str, amount_minor: int, currency: str) -> Posting:
    """An approved sale on the terminal: the acquirer now owes it, pending settlement."""
    return _move(merchant_id, A.ACQUIRER_CLEARING, A.PENDING_SETTLEMENT, amount_minor, currency)


def settlement_cleared(
    merchant_id: str, gross_minor: int, fee_minor: int, currency: str, *, captured: bool = True
) -> Posting:
    """A settlement line cleared: net to available, fee to fees, out of pending settlement (or,
    for a sale never captured in the ledger, straight from acquirer clearing)."""
    _require_positive(gross_minor, "the settled amount")
    _require_minor_units(fee_minor, "the fee")
    if not 0 <= fee_minor <= gross_minor:
        raise InvalidInput(f"the fee must lie between 0 and the settled amount, not {fee_minor}")
    source = A.PENDING_SETTLEMENT if captured else A.ACQUIRER_CLEARING
    lines = [LedgerLine(source, merchant_id, -gross_minor, currency)]
    if gross_minor > fee_minor:
        lines.append(LedgerLine(A.AVAILABLE, merchant_id, gross_minor - fee_minor, currency))
    if fee_minor:
        lines.append(LedgerLine(A.FEES, merchant_id, fee_minor, currency))
    return lines


def hold_for_refund(merchant_id: str, amount_minor: int, currency: str) -> Posting:
    """Set money aside for a refund; check `available_covers` first."""
    return _move(merchant_id, A.AVAILABLE, A.HELD, amount_minor, currency)


def release_hold(merchant_id: str, amount_minor: int, currency: str) -> Posting:
    return _move(merchant_id, A.HELD, A.AVAILABLE, amount_minor, currency)


def refund_paid(merchant_id: str, amount_minor: int, currency: str, *, from_hold: bool = True) -> Posting:
    """A refund instructed to the provider: the money leaves held (or available) towards the payer
    and waits in PAYABLE_TO_PAYER until a later file confirms it."""
    source = A.HELD if from_hold else A.AVAILABLE
    return _move(merchant_id, source, A.PAYABLE_TO_PAYER, amount_minor, currency)


def refund_confirmed(merchant_id: str, amount_minor: int, currency: str) -> Posting:
    return _move(merchant_id, A.PAYABLE_TO_PAYER, A.PAYER, amount_minor, currency)


def refund_failed(merchant_id: str, amount_minor: int, currency: str) -> Posting:
    """The provider refused or returned the refund: the money goes back to held."""
    return _move(merchant_id, A.PAYABLE_TO_PAYER, A.HELD, amount_minor, currency)


def void(merchant_id: str, amount_minor: int, currency: str) -> Posting:
    """Cancel a captured sale before its batch settles."""
    return _move(merchant_id, A.PENDING_SETTLEMENT, A.ACQUIRER_CLEARING, amount_minor, currency)


def reversal(merchant_id: str, amount_minor: int, currency: str, *, settled: bool = False) -> Posting:
    """Cancel a debit that should not exist, from pending settlement or, once settled, available."""
    source = A.AVAILABLE if settled else A.PENDING_SETTLEMENT
    return _move(merchant_id, source, A.ACQUIRER_CLEARING, amount_minor, currency)


def credit_adjustment(merchant_id: str, signed_amount_minor: int, currency: str) -> Posting:
    """An acquirer-side correction: positive credits the merchant, negative debits it."""
    _require_minor_units(signed_amount_minor, "a credit adjustment")
    if signed_amount_minor > 0:
        return _move(merchant_id, A.ACQUIRER_CLEARING, A.AVAILABLE, signed_amount_minor, currency)
    if signed_amount_minor < 0:
        return _move(merchant_id, A.AVAILABLE, A.ACQUIRER_CLEARING, -signed_amount_minor, currency)
    raise InvalidInput("a credit adjustment moves a non-zero amount")


def difference_requested(merchant_id: str, amount_minor: int, currency: str) -> Posting:
    """The payer is asked to pay a shortfall (QR collection): a receivable until paid."""
    return _move(merchant_id, A.PAYER, A.RECEIVABLE_FROM_PAYER, amount_minor, currency)


def difference_collected(
    merchant_id: str, amount_minor: int, currency: str, *, into: Account = A.PENDING_SETTLEMENT
) -> Posting:
    """The payer paid: a QR payment arrives pending settlement (post this instead of
    `sale_captured` for it), or straight to available when paid otherwise."""
    if into not in (A.PENDING_SETTLEMENT, A.AVAILABLE):
        raise InvalidInput("a collected difference goes to PENDING_SETTLEMENT or AVAILABLE")
    return _move(merchant_id, A.RECEIVABLE_FROM_PAYER, into, amount_minor, currency)


def difference_waived(merchant_id: str, amount_minor: int, currency: str) -> Posting:
    """The shortfall will not be collected (the case is written off)."""
    return _move(merchant_id, A.RECEIVABLE_FROM_PAYER, A.PAYER, amount_minor, currency)


def transfer_in(merchant_id: str, amount_minor: int, currency: str) -> Posting:
    """Funding from the bank into the merchant's available balance."""
    return _move(merchant_id, A.BANK, A.AVAILABLE, amount_minor, currency)


def transfer_out(merchant_id: str, amount_minor: int, currency: str) -> Posting:
    """Money returned from the merchant's available balance to the bank."""
    return _move(merchant_id, A.AVAILABLE, A.BANK, amount_minor, currency)


# --- checks -----------------------------------------------------------------------------------

def balances(lines: Iterable[LedgerLine]) -> dict[BalanceKey, int]:
    """The balance of every (merchant, account, currency) the lines touch."""
    totals: dict[BalanceKey, int] = defaultdict(int)
    for line in lines:
        totals[BalanceKey(line.merchant_id, line.account, line.currency)] += line.amount_minor
    return dict(totals)


def verify(
    postings: Iterable[Sequence[LedgerLine]], stored_balances: Mapping[BalanceKey, int] | None = None
) -> dict[BalanceKey, int]:
    """Prove every posting balances per currency and return the recomputed balances; when the
    stored balances are given, prove they equal the recomputed ones."""
    all_lines: list[LedgerLine] = []
    for number, posting in enumerate(postings, start=1):
        _verify_posting(number, posting)
        all_lines.extend(posting)
    recomputed = balances(all_lines)
    if stored_balances is not None:
        _compare_balances(recomputed, stored_balances)
    return recomputed


def balance_of(
    balance_by_key: Mapping[BalanceKey, int], merchant_id: str, account: Account, currency: str
) -> int:
    return balance_by_key.get(BalanceKey(merchant_id, account, currency), 0)


def available_covers(balance_by_key: Mapping[BalanceKey, int], merchant_id: str, amount: Money) -> bool:
    """Whether the merchant's available balance in the amount's currency covers the amount."""
    if amount.minor < 0:
        raise InvalidInput("the amount to cover cannot be negative")
    return balance_of(balance_by_key, merchant_id, A.AVAILABLE, amount.currency) >= amount.minor


def _verify_posting(number: int, posting: Sequence[LedgerLine]) -> None:
    if not posting:
        raise LedgerIntegrityError(f"posting {number} has no lines", detail={"posting": number})
    by_currency: dict[str, int] = defaultdict(int)
    for line in posting:
        if not isinstance(line, LedgerLine):
            raise InvalidInput(f"posting {number} holds something that is not a ledger line")
        _require_minor_units(line.amount_minor, "a ledger line")
        by_currency[line.currency] += line.amount_minor
    unbalanced = {currency: total for currency, total in sorted(by_currency.items()) if total}
    if unbalanced:
        raise LedgerIntegrityError(
            f"posting {number} does not balance: debits minus credits = {unbalanced}",
            detail={"posting": number, "imbalance": unbalanced},
        )


def _compare_balances(recomputed: Mapping[BalanceKey, int], stored: Mapping[BalanceKey, int]) -> None:
    keys = set(recomputed) | set(stored)
    differing = sorted(key for key in keys if recomputed.get(key, 0) != stored.get(key, 0))
    if differing:
        first = differing[0]
        raise LedgerIntegrityError(
            f"{len(differing)} stored balance(s) differ from the lines, first {tuple(first)}: "
            f"stored {stored.get(first, 0)}, lines {recomputed.get(first, 0)}",
            detail={"differing": [tuple(key) for key in differing]},
        )


def _account(value: Account | str) -> Account:
    try:
        return Account(value)
    except ValueError:
        raise InvalidInput(f"unknown ledger account {value!r}") from None


def _move(
    merchant_id: str, source: Account, destination: Account, amount_minor: int, currency: str
) -> Posting:
    _require_positive(amount_minor, "the amount")
    return [
        LedgerLine(destination, merchant_id, amount_minor, currency),
        LedgerLine(source, merchant_id, -amount_minor, currency),
    ]


def _require_minor_units(value: object, what: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(f"{what} must be an integer of minor units, not {value!r}")


def _require_positive(value: object, what: str) -> None:
    _require_minor_units(value, what)
    if not isinstance(value, int) or value <= 0:
        raise InvalidInput(f"{what} must be positive, not {value!r}")
