"""The dispute cycle's pure rules: transitions, due dates, and money that never exceeds the dispute."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.disputes import rules as R
from recoup.disputes.postings import lines_for
from recoup.errors import RecoupError
from recoup.ledger import rules as ledger_rules

TODAY = date(2026, 10, 17)


def test_due_dates_follow_the_stage_and_stop_at_the_dispute_window() -> None:
    assert R.due_on(R.Stage.RETRIEVAL, TODAY, None) == TODAY + timedelta(days=20)
    assert R.due_on(R.Stage.CHARGEBACK, TODAY, None) == TODAY + timedelta(days=30)
    assert R.due_on(R.Stage.ARBITRATION, TODAY, None) == TODAY + timedelta(days=10)
    sale_day = TODAY - timedelta(days=110)  # the 120-day window closes in 10 days
    assert R.due_on(R.Stage.CHARGEBACK, TODAY, sale_day) == sale_day + timedelta(days=120)
    tenant = R.Rules({**R.DEFAULT_RULES.stage_days, R.Stage.CHARGEBACK: 9})
    assert R.due_on(R.Stage.CHARGEBACK, TODAY, None, tenant) == TODAY + timedelta(days=9)


def test_opening_refuses_what_cannot_be_a_dispute() -> None:
    due = TODAY + timedelta(days=30)
    R.check_opening(R.Stage.CHARGEBACK, 100, 100, TODAY, due, TODAY, None)
    with pytest.raises(R.DisputeRefused, match="retrieval request or a chargeback"):
        R.check_opening(R.Stage.ARBITRATION, 100, 100, TODAY, due, TODAY, None)
    with pytest.raises(RecoupError, match="above the sale"):
        R.check_opening(R.Stage.CHARGEBACK, 101, 100, TODAY, due, TODAY, None)
    with pytest.raises(RecoupError, match="already past"):
        R.check_opening(R.Stage.CHARGEBACK, 100, 100, TODAY, TODAY - timedelta(days=1), TODAY, None)
    with pytest.raises(R.DisputeRefused, match="120 days"):
        R.check_opening(R.Stage.CHARGEBACK, 100, 100, TODAY, due, TODAY, TODAY - timedelta(days=121))


def test_the_cycle_moves_like_the_real_one() -> None:
    due = TODAY + timedelta(days=30)
    opened = R.opened(R.Stage.CHARGEBACK, 5000, due, R.Rules(R.DEFAULT_RULES.stage_days, fee_minor=1500))
    assert [(m.kind, m.amount_minor) for m in opened.moves] == [("DEBIT", 5000), ("FEE", 1500)]
    with pytest.raises(R.DisputeRefused, match="cannot move to ARBITRATION"):
        R.step(opened.dispute, R.Event.ADVANCE, TODAY, stage=R.Stage.ARBITRATION, due=due)
    answered = R.step(opened.dispute, R.Event.RESPOND, TODAY).dispute
    assert (answered.stage, answered.state) == (R.Stage.REPRESENTMENT, R.DisputeState.RESPONDED)
    pre = R.step(answered, R.Event.ADVANCE, TODAY, stage=R.Stage.PRE_ARBITRATION, due=due).dispute
    arb = R.step(pre, R.Event.ADVANCE, TODAY, stage=R.Stage.ARBITRATION, due=due).dispute
    won = R.step(arb, R.Event.OUTCOME, TODAY, outcome=R.Outcome.WON)
    assert [(m.kind, m.amount_minor) for m in won.moves] == [("CREDIT", 5000)]
    with pytest.raises(R.DisputeRefused, match="ended"):
        R.step(won.dispute, R.Event.ACCEPT, TODAY)


def test_an_answer_after_the_due_date_needs_the_override() -> None:
    late = R.opened(R.Stage.RETRIEVAL, 100, TODAY - timedelta(days=1)).dispute
    with pytest.raises(R.DeadlinePassed, match="only an admin"):
        R.step(late, R.Event.RESPOND, TODAY)
    assert R.step(late, R.Event.RESPOND, TODAY, late_allowed=True).dispute.state == R.DisputeState.RESPONDED
    assert R.step(late, R.Event.EXPIRE, TODAY).dispute.outcome == R.Outcome.EXPIRED
    with pytest.raises(R.DisputeRefused, match="accepted"):
        R.step(late, R.Event.ACCEPT, TODAY)


EVENTS = st.sampled_from([
    (R.Event.RESPOND, {}), (R.Event.RESPOND, {"late_allowed": True}), (R.Event.ACCEPT, {}), (R.Event.EXPIRE, {}),
    *[(R.Event.ADVANCE, {"stage": stage}) for stage in R.Stage],
    *[(R.Event.OUTCOME, {"outcome": outcome}) for outcome in R.Outcome],
])


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([R.Stage.RETRIEVAL, R.Stage.CHARGEBACK]), st.integers(1, 10**9), st.integers(0, 10**6),
       st.lists(st.tuples(EVENTS, st.integers(-40, 40)), max_size=12))
def test_no_sequence_of_events_moves_more_than_the_dispute_or_unbalances_the_ledger(
        stage: R.Stage, amount: int, fee: int, events: list[tuple[tuple[R.Event, dict[str, object]], int]]) -> None:
    rules = R.Rules(R.DEFAULT_RULES.stage_days, fee_minor=fee)
    current = R.opened(stage, amount, TODAY + timedelta(days=20), rules)
    moves = list(current.moves)
    dispute = current.dispute
    for (event, options), shift in events:
        day = TODAY + timedelta(days=shift)
        try:
            result = R.step(dispute, event, day, rules=rules, due=day + timedelta(days=10),
                            **options)  # type: ignore[arg-type]
        except RecoupError:
            continue
        moves.extend(result.moves)
        dispute = result.dispute
    debited = sum(m.amount_minor for m in moves if m.kind == "DEBIT")
    credited = sum(m.amount_minor for m in moves if m.kind == "CREDIT")
    assert 0 <= credited <= debited <= amount
    assert sum(1 for m in moves if m.kind == "FEE") <= 1
    postings = [lines_for(move, "898301054111439", "CNY") for move in moves]
    balances = ledger_rules.verify(postings)
    available = ledger_rules.balance_of(balances, "898301054111439", ledger_rules.Account.AVAILABLE, "CNY")
    assert -(amount + fee) <= available <= 0
