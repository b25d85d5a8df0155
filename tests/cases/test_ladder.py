from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.cases.ladder import (
    DEFAULT_LADDER,
    CaseOnLadder,
    DisputeStage,
    LadderConfig,
    OverdueAction,
    Rung,
    Step,
    deadline_for,
    dispute_window_closes,
    escalation_target,
    first_step,
    next_rung,
    overdue_action,
    owner_role,
)
from recoup.cases.states import CaseState
from recoup.errors import InvalidInput

CST = timezone(timedelta(hours=8))
TXN = datetime(2026, 3, 2, 15, 10, tzinfo=CST)
START = datetime(2026, 3, 3, 9, 0, tzinfo=CST)
D = DisputeStage


def test_the_ladder_climbs_in_the_spec_order_through_every_dispute_stage() -> None:
    steps = [first_step()]
    while (step := next_rung(steps[-1].rung, steps[-1].stage)) is not None:
        steps.append(step)
    assert steps == [
        Step(Rung.MERCHANT),
        Step(Rung.PROVIDER_SUPPORT),
        Step(Rung.ACQUIRER),
        Step(Rung.SCHEME_DISPUTE, D.RETRIEVAL),
        Step(Rung.SCHEME_DISPUTE, D.CHARGEBACK),
        Step(Rung.SCHEME_DISPUTE, D.REPRESENTMENT),
        Step(Rung.SCHEME_DISPUTE, D.PRE_ARBITRATION),
        Step(Rung.SCHEME_DISPUTE, D.ARBITRATION),
        Step(Rung.LEGAL),
    ]


def test_next_rung_accepts_stored_strings() -> None:
    assert next_rung("SCHEME_DISPUTE", "CHARGEBACK") == Step(Rung.SCHEME_DISPUTE, D.REPRESENTMENT)


def test_a_stage_belongs_only_to_the_scheme_dispute_rung() -> None:
    with pytest.raises(InvalidInput, match="dispute stage"):
        Step(Rung.ACQUIRER, D.CHARGEBACK)
    with pytest.raises(InvalidInput, match="dispute stage"):
        Step(Rung.SCHEME_DISPUTE)


@pytest.mark.parametrize(
    ("rung", "stage", "days"),
    [
        (Rung.MERCHANT, None, 2),
        (Rung.PROVIDER_SUPPORT, None, 3),
        (Rung.ACQUIRER, None, 10),
        (Rung.SCHEME_DISPUTE, D.RETRIEVAL, 20),
        (Rung.SCHEME_DISPUTE, D.CHARGEBACK, 30),
    ],
)
def test_default_deadlines_follow_the_spec(rung: Rung, stage: D | None, days: int) -> None:
    assert deadline_for(rung, stage, START, TXN) == START + timedelta(days=days)


def test_no_dispute_after_120_days_cuts_the_steps_before_a_chargeback() -> None:
    started = TXN + timedelta(days=115)
    closes = TXN + timedelta(days=120)
    assert dispute_window_closes(TXN) == closes
    assert deadline_for(Rung.ACQUIRER, None, started, TXN) == closes
    assert deadline_for(Rung.SCHEME_DISPUTE, D.RETRIEVAL, started, TXN) == closes
    # Once a chargeback is raised, answering it is not bound by the 120 days.
    assert deadline_for(Rung.SCHEME_DISPUTE, D.CHARGEBACK, started, TXN) == started + timedelta(days=30)


def test_a_case_opened_after_the_window_still_gets_its_full_rung_time() -> None:
    started = TXN + timedelta(days=200)
    assert deadline_for(Rung.MERCHANT, None, started, TXN) == started + timedelta(days=2)


def test_tenant_overrides_change_days_window_action_and_owner() -> None:
    config = LadderConfig.with_overrides(
        {
            "days": {"MERCHANT": 5, "CHARGEBACK": 9},
            "dispute_window_days": 90,
            "on_overdue": {"MERCHANT": "ALERT"},
            "owner_roles": {"LEGAL": "admin"},
        }
    )
    assert deadline_for(Rung.MERCHANT, None, START, None, config) == START + timedelta(days=5)
    assert deadline_for("SCHEME_DISPUTE", "CHARGEBACK", START, None, config) == START + timedelta(days=9)
    assert deadline_for(Rung.ACQUIRER, None, START, None, config) == START + timedelta(days=10)
    assert dispute_window_closes(TXN, config) == TXN + timedelta(days=90)
    assert owner_role(Rung.LEGAL, config) == "admin"
    assert owner_role(Rung.ACQUIRER, config) == "acquirer_ops"
    case = CaseOnLadder(CaseState.INVESTIGATING, Rung.MERCHANT, None, START, TXN)
    assert overdue_action(case, START + timedelta(days=6), config) == OverdueAction.ALERT
    assert overdue_action(case, START + timedelta(days=6)) == OverdueAction.ESCALATE


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"days": {"MERCHANT": 0}}, "positive whole number"),
        ({"days": {"MERCHANT": 2.5}}, "positive whole number"),
        ({"days": {"MERCHANT": True}}, "positive whole number"),
        ({"days": {"SCHEME_DISPUTE": 3}}, "name a rung or a dispute stage"),
        ({"days": {"LUNCH": 3}}, "name a rung or a dispute stage"),
        ({"on_overdue": {"MERCHANT": "IGNORE"}}, "ESCALATEs or ALERTs"),
        ({"on_overdue": {"BOSS": "ALERT"}}, "unknown rung"),
        ({"owner_roles": {"LEGAL": ""}}, "role name"),
        ({"dispute_window_days": -1}, "positive whole number"),
        ({"days": [1, 2]}, "must map"),
        ({"deadline": 3}, "unknown ladder settings: deadline"),
    ],
)
def test_bad_overrides_are_refused_clearly(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        LadderConfig.with_overrides(overrides)


def test_overdue_merchant_rung_escalates_by_default_and_only_after_the_deadline() -> None:
    case = CaseOnLadder(CaseState.INVESTIGATING, Rung.MERCHANT, None, START, TXN)
    deadline = START + timedelta(days=2)
    assert overdue_action(case, deadline) == OverdueAction.NONE
    assert overdue_action(case, deadline + timedelta(seconds=1)) == OverdueAction.ESCALATE
    assert escalation_target(case, deadline) == Step(Rung.PROVIDER_SUPPORT)


def test_overdue_dispute_stage_and_legal_alert_the_owner() -> None:
    in_dispute = CaseOnLadder(CaseState.ESCALATED, Rung.SCHEME_DISPUTE, D.CHARGEBACK, START, TXN)
    assert overdue_action(in_dispute, START + timedelta(days=31)) == OverdueAction.ALERT
    at_top = CaseOnLadder(CaseState.ESCALATED, Rung.LEGAL, None, START, TXN)
    always_escalate = LadderConfig.with_overrides({"on_overdue": {"LEGAL": "ESCALATE"}})
    assert overdue_action(at_top, START + timedelta(days=91), always_escalate) == OverdueAction.ALERT


@pytest.mark.parametrize("state", ["RESOLVED", "CLOSED", "REJECTED", "WRITTEN_OFF"])
def test_finished_cases_are_never_due(state: str) -> None:
    case = CaseOnLadder(state, Rung.MERCHANT, None, START, TXN)
    assert overdue_action(case, START + timedelta(days=400)) == OverdueAction.NONE


def test_escalating_past_the_dispute_window_skips_to_legal() -> None:
    at_acquirer = CaseOnLadder(CaseState.ESCALATED, Rung.ACQUIRER, None, START, TXN)
    assert escalation_target(at_acquirer, TXN + timedelta(days=100)) == Step(Rung.SCHEME_DISPUTE, D.RETRIEVAL)
    assert escalation_target(at_acquirer, TXN + timedelta(days=121)) == Step(Rung.LEGAL)
    in_retrieval = CaseOnLadder(CaseState.ESCALATED, Rung.SCHEME_DISPUTE, D.RETRIEVAL, START, TXN)
    assert escalation_target(in_retrieval, TXN + timedelta(days=121)) == Step(Rung.LEGAL)
    charged_back = CaseOnLadder(CaseState.ESCALATED, Rung.SCHEME_DISPUTE, D.CHARGEBACK, START, TXN)
    representment = Step(Rung.SCHEME_DISPUTE, D.REPRESENTMENT)
    assert escalation_target(charged_back, TXN + timedelta(days=200)) == representment


steps = st.sampled_from(
    [Step(Rung.MERCHANT), Step(Rung.PROVIDER_SUPPORT), Step(Rung.ACQUIRER), Step(Rung.LEGAL)]
    + [Step(Rung.SCHEME_DISPUTE, stage) for stage in DisputeStage]
)
moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(CST)
)


@given(steps, moments, moments, st.integers(min_value=0, max_value=400 * 86400))
def test_a_case_is_due_exactly_when_past_its_deadline(
    step: Step, txn: datetime, start: datetime, age_seconds: int
) -> None:
    case = CaseOnLadder(CaseState.INVESTIGATING, step.rung, step.stage, start, txn)
    now = start + timedelta(seconds=age_seconds)
    deadline = deadline_for(step.rung, step.stage, start, txn)
    assert start < deadline <= start + timedelta(days=DEFAULT_LADDER.days_for(step))
    due = overdue_action(case, now)
    assert (due != OverdueAction.NONE) == (now > deadline)
    if due == OverdueAction.ESCALATE:
        target = escalation_target(case, now)
        assert target is not None
        assert target != step
