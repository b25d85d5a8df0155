from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.errors import InvalidInput
from recoup.ledger import rules
from recoup.ledger.rules import (
    EXTERNAL_ACCOUNTS,
    MERCHANT_ACCOUNTS,
    Account,
    BalanceKey,
    LedgerIntegrityError,
    LedgerLine,
    Posting,
    available_covers,
    balance_of,
    balances,
    verify,
)
from recoup.money import Money

M = "898301054111439"
A = Account


def _balance(postings: list[Posting], account: Account, currency: str = "CNY") -> int:
    return balance_of(verify(postings), M, account, currency)


def test_a_sale_settles_net_to_available_and_fee_to_fees() -> None:
    postings = [rules.sale_captured(M, 12800, "CNY"), rules.settlement_cleared(M, 12800, 77, "CNY")]
    assert _balance(postings, A.AVAILABLE) == 12723
    assert _balance(postings, A.FEES) == 77
    assert _balance(postings, A.PENDING_SETTLEMENT) == 0


def test_a_sale_never_captured_settles_from_acquirer_clearing() -> None:
    posting = rules.settlement_cleared(M, 5000, 0, "CNY", captured=False)
    assert {line.account for line in posting} == {A.ACQUIRER_CLEARING, A.AVAILABLE}
    assert _balance([posting], A.PENDING_SETTLEMENT) == 0


def test_a_refund_is_held_paid_and_confirmed_leaving_available_reduced_once() -> None:
    postings = [
        rules.transfer_in(M, 200000, "CNY"),
        rules.hold_for_refund(M, 115200, "CNY"),
        rules.refund_paid(M, 115200, "CNY"),
    ]
    assert _balance(postings, A.AVAILABLE) == 84800
    assert _balance(postings, A.HELD) == 0
    assert _balance(postings, A.PAYABLE_TO_PAYER) == 115200
    postings.append(rules.refund_confirmed(M, 115200, "CNY"))
    assert _balance(postings, A.PAYABLE_TO_PAYER) == 0
    assert _balance(postings, A.AVAILABLE) == 84800


def test_a_failed_refund_returns_to_held_and_can_be_released() -> None:
    postings = [
        rules.transfer_in(M, 1000, "CNY"),
        rules.hold_for_refund(M, 600, "CNY"),
        rules.refund_paid(M, 600, "CNY"),
        rules.refund_failed(M, 600, "CNY"),
        rules.release_hold(M, 600, "CNY"),
    ]
    assert _balance(postings, A.AVAILABLE) == 1000
    assert _balance(postings, A.HELD) == 0


def test_void_and_reversal_cancel_the_debit() -> None:
    postings = [rules.sale_captured(M, 900, "CNY"), rules.void(M, 900, "CNY")]
    assert _balance(postings, A.PENDING_SETTLEMENT) == 0
    settled = [
        rules.settlement_cleared(M, 900, 0, "CNY", captured=False),
        rules.reversal(M, 900, "CNY", settled=True),
    ]
    assert _balance(settled, A.AVAILABLE) == 0


def test_credit_adjustment_moves_either_way_and_refuses_zero() -> None:
    assert _balance([rules.credit_adjustment(M, 300, "CNY")], A.AVAILABLE) == 300
    assert _balance([rules.credit_adjustment(M, -300, "CNY")], A.AVAILABLE) == -300
    with pytest.raises(InvalidInput, match="non-zero"):
        rules.credit_adjustment(M, 0, "CNY")


def test_collecting_a_difference_clears_the_receivable() -> None:
    postings = [rules.difference_requested(M, 11520, "CNY")]
    assert _balance(postings, A.RECEIVABLE_FROM_PAYER) == 11520
    postings.append(rules.difference_collected(M, 11520, "CNY"))
    assert _balance(postings, A.RECEIVABLE_FROM_PAYER) == 0
    assert _balance(postings, A.PENDING_SETTLEMENT) == 11520
    with pytest.raises(InvalidInput, match="PENDING_SETTLEMENT or AVAILABLE"):
        rules.difference_collected(M, 1, "CNY", into=A.FEES)


def test_available_covers_uses_only_the_available_balance_of_that_currency() -> None:
    held = verify([rules.transfer_in(M, 1000, "CNY"), rules.hold_for_refund(M, 400, "CNY")])
    assert available_covers(held, M, Money(600, "CNY"))
    assert not available_covers(held, M, Money(601, "CNY"))
    assert not available_covers(held, M, Money(1, "USD"))
    assert not available_covers(held, "other-merchant", Money(1, "CNY"))
    with pytest.raises(InvalidInput, match="negative"):
        available_covers(held, M, Money(-1, "CNY"))


def test_verify_catches_an_unbalanced_posting_and_a_tampered_balance() -> None:
    good = rules.hold_for_refund(M, 500, "CNY")
    tampered = [good[0], replace(good[1], amount_minor=-499)]
    with pytest.raises(LedgerIntegrityError, match="posting 2 does not balance") as info:
        verify([good, tampered])
    assert info.value.detail == {"posting": 2, "imbalance": {"CNY": 1}}
    with pytest.raises(LedgerIntegrityError, match="no lines"):
        verify([[]])
    cross_currency = [LedgerLine(A.AVAILABLE, M, 100, "CNY"), LedgerLine(A.BANK, M, -100, "USD")]
    with pytest.raises(LedgerIntegrityError, match="does not balance"):
        verify([cross_currency])
    stored = {BalanceKey(M, A.HELD, "CNY"): 500, BalanceKey(M, A.AVAILABLE, "CNY"): -400}
    with pytest.raises(LedgerIntegrityError, match="stored balance"):
        verify([good], stored)
    stored[BalanceKey(M, A.AVAILABLE, "CNY")] = -500
    assert verify([good], stored) == stored


@pytest.mark.parametrize("amount", [12.5, 100.0, True, "100", None])
def test_amounts_must_be_integers_of_minor_units(amount: object) -> None:
    with pytest.raises(InvalidInput, match="integer of minor units"):
        rules.hold_for_refund(M, amount, "CNY")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="integer of minor units"):
        LedgerLine(A.AVAILABLE, M, amount, "CNY")  # type: ignore[arg-type]


def test_templates_refuse_non_positive_amounts_bad_fees_and_unknown_currencies() -> None:
    with pytest.raises(InvalidInput, match="positive"):
        rules.transfer_out(M, -5, "CNY")
    with pytest.raises(InvalidInput, match="fee must lie between"):
        rules.settlement_cleared(M, 100, 101, "CNY")
    with pytest.raises(InvalidInput, match="unknown currency"):
        rules.transfer_in(M, 5, "XXX")
    with pytest.raises(InvalidInput, match="unknown ledger account"):
        LedgerLine("CASH", M, 5, "CNY")  # type: ignore[arg-type]


def test_lines_loaded_as_text_keep_the_account_enum() -> None:
    line = LedgerLine("HELD", M, 5, "CNY")  # type: ignore[arg-type]
    assert line.account is A.HELD
    assert (line.debit_minor, line.credit_minor) == (5, 0)


amounts = st.integers(min_value=1, max_value=10**12)
Template = Callable[[str, int, str], Posting]
SIMPLE: list[Template] = [
    rules.sale_captured, rules.hold_for_refund, rules.release_hold, rules.refund_paid,
    rules.refund_confirmed, rules.refund_failed, rules.void, rules.reversal,
    rules.difference_requested, rules.difference_collected, rules.difference_waived,
    rules.transfer_in, rules.transfer_out,
]


@st.composite
def postings(draw: st.DrawFn) -> Posting:
    merchant = draw(st.sampled_from([M, "898791054111008"]))
    currency = draw(st.sampled_from(["CNY", "JPY"]))
    kind = draw(st.integers(min_value=0, max_value=len(SIMPLE) + 1))
    if kind == len(SIMPLE):
        gross = draw(amounts)
        fee = draw(st.integers(min_value=0, max_value=gross))
        return rules.settlement_cleared(merchant, gross, fee, currency, captured=draw(st.booleans()))
    if kind == len(SIMPLE) + 1:
        return rules.credit_adjustment(merchant, draw(amounts) * draw(st.sampled_from([1, -1])), currency)
    return SIMPLE[kind](merchant, draw(amounts), currency)


@given(st.lists(postings(), max_size=40))
def test_any_sequence_of_postings_balances_and_balances_are_sums_of_lines(history: list[Posting]) -> None:
    computed = verify(history)
    expected: dict[BalanceKey, int] = defaultdict(int)
    per_currency: dict[str, int] = defaultdict(int)
    for line in (line for posting in history for line in posting):
        assert type(line.amount_minor) is int
        expected[BalanceKey(line.merchant_id, line.account, line.currency)] += line.amount_minor
        per_currency[line.currency] += line.amount_minor
    assert computed == dict(expected)
    assert computed == balances(line for posting in history for line in posting)
    assert all(total == 0 for total in per_currency.values())
    merchant_side = sum(v for k, v in computed.items() if k.account in MERCHANT_ACCOUNTS)
    external_side = sum(v for k, v in computed.items() if k.account in EXTERNAL_ACCOUNTS)
    assert merchant_side == -external_side


@given(st.lists(postings(), min_size=1, max_size=20), st.data())
def test_changing_any_one_line_is_detected(history: list[Posting], data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(history) - 1))
    posting = history[index]
    line_index = data.draw(st.integers(min_value=0, max_value=len(posting) - 1))
    delta = data.draw(st.integers(min_value=1, max_value=1000))
    if posting[line_index].amount_minor + delta == 0:
        delta += 1  # a ledger line never moves zero: alter it by another amount
    altered = list(posting)
    altered[line_index] = replace(posting[line_index], amount_minor=posting[line_index].amount_minor + delta)
    with pytest.raises(LedgerIntegrityError, match=f"posting {index + 1} does not balance"):
        verify([*history[:index], altered, *history[index + 1 :]])
