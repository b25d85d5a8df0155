import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.errors import Conflict, InvalidInput
from recoup.money import Money
from recoup.recovery.limits import (
    ActionKind,
    ActionStatus,
    PriorAction,
    RefundLimitExceeded,
    check_refund,
    remaining_refundable,
)

SALE = Money(128000, "CNY")


def cny(minor: int) -> Money:
    return Money(minor, "CNY")


def refund(minor: int, status: ActionStatus = ActionStatus.CONFIRMED) -> PriorAction:
    return PriorAction(ActionKind.REFUND, status, cny(minor))


def test_nothing_refunded_leaves_the_whole_sale() -> None:
    assert remaining_refundable(SALE, []) == SALE


def test_pending_and_confirmed_refunds_count_failed_ones_do_not() -> None:
    actions = [refund(100000), refund(15000, ActionStatus.PENDING), refund(13000, ActionStatus.FAILED)]
    assert remaining_refundable(SALE, actions) == cny(13000)


def test_a_keying_error_refund_of_the_difference_is_accepted_and_leaves_the_rest() -> None:
    # Keyed 1280.00 for 128.00: refund 1152.00, 128.00 stays refundable.
    assert check_refund(SALE, [], "REFUND", cny(115200)) == cny(12800)


def test_a_refund_past_the_sale_is_refused_with_the_figures() -> None:
    expected = r"exceed the sale: 1280\.00 CNY sold, 1152\.00 CNY already refunded"
    with pytest.raises(RefundLimitExceeded, match=expected) as info:
        check_refund(SALE, [refund(115200)], ActionKind.REFUND, cny(12801))
    assert isinstance(info.value, Conflict)
    assert info.value.status == 409
    assert info.value.detail == {
        "currency": "CNY",
        "sale_minor": 128000,
        "committed_minor": 115200,
        "remaining_minor": 12800,
        "requested_minor": 12801,
    }


def test_a_void_cancels_the_whole_sale_and_nothing_may_follow_it() -> None:
    assert check_refund(SALE, [], ActionKind.VOID, SALE) == cny(0)
    voided = [PriorAction(ActionKind.VOID, ActionStatus.PENDING, SALE)]
    assert remaining_refundable(SALE, voided) == cny(0)
    with pytest.raises(RefundLimitExceeded):
        check_refund(SALE, voided, ActionKind.REFUND, cny(1))
    with pytest.raises(RefundLimitExceeded, match="cancels the whole sale"):
        check_refund(SALE, voided, ActionKind.REVERSAL, SALE)


def test_a_failed_void_frees_the_sale_again() -> None:
    failed = [PriorAction(ActionKind.VOID, ActionStatus.FAILED, SALE)]
    assert remaining_refundable(SALE, failed) == SALE


def test_a_void_after_a_partial_refund_is_refused_and_says_what_to_do() -> None:
    with pytest.raises(RefundLimitExceeded, match=r"refund the remaining 280\.00 CNY instead"):
        check_refund(SALE, [refund(100000)], "VOID", SALE)


def test_a_partial_void_is_not_a_void() -> None:
    with pytest.raises(InvalidInput, match=r"cancels the whole sale of 1280\.00 CNY, not 100\.00 CNY"):
        check_refund(SALE, [], ActionKind.VOID, cny(10000))


def test_bad_requests_are_clear_input_errors() -> None:
    with pytest.raises(InvalidInput, match="positive"):
        check_refund(SALE, [], ActionKind.REFUND, cny(0))
    with pytest.raises(InvalidInput, match="the sale is in CNY, the amount in USD"):
        check_refund(SALE, [], ActionKind.REFUND, Money(100, "USD"))
    with pytest.raises(InvalidInput, match="unknown recovery action 'CASHBACK'"):
        check_refund(SALE, [], "CASHBACK", cny(1))
    with pytest.raises(InvalidInput, match="the sale must be a positive amount"):
        remaining_refundable(cny(0), [])


def test_an_over_refunded_sale_from_imported_history_has_nothing_left() -> None:
    assert remaining_refundable(SALE, [refund(100000), refund(100000)]) == cny(0)


attempts = st.lists(
    st.tuples(
        st.sampled_from(list(ActionKind)),
        st.integers(min_value=1, max_value=150000),
        st.sampled_from(list(ActionStatus)),
    ),
    max_size=30,
)


@given(st.integers(min_value=1, max_value=150000), attempts)
def test_no_sequence_of_accepted_actions_takes_back_more_than_the_sale(
    sale_minor: int, tries: list[tuple[ActionKind, int, ActionStatus]]
) -> None:
    sale = cny(sale_minor)
    recorded: list[PriorAction] = []
    for kind, minor, later_status in tries:
        amount = sale if kind != ActionKind.REFUND and minor % 2 else cny(minor)
        before = remaining_refundable(sale, recorded)
        try:
            left = check_refund(sale, recorded, kind, amount)
        except (RefundLimitExceeded, InvalidInput):
            assert remaining_refundable(sale, recorded) == before
            continue
        # Accepted: recorded as pending, then the provider settles it one way or the other.
        recorded.append(PriorAction(kind, later_status, amount))
        assert left == before - amount
        counting = sum(a.amount.minor for a in recorded if a.status != ActionStatus.FAILED)
        assert counting <= sale_minor
        assert 0 <= remaining_refundable(sale, recorded).minor <= sale_minor
