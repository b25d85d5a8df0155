import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from recoup.cases.states import (
    ALLOWED_TRANSITIONS,
    FINAL_STATES,
    MAIN_LINE,
    REOPEN,
    WAITING_STATES,
    CaseState,
    IllegalTransition,
    allowed_targets,
    transition,
)
from recoup.errors import Conflict, InvalidInput

NOW = datetime(2026, 10, 12, 9, 30, tzinfo=timezone(timedelta(hours=8)))
S = CaseState


def test_main_line_walks_from_open_to_closed_recording_each_step() -> None:
    state = S.OPEN
    events = []
    for target in MAIN_LINE[1:]:
        state, event = transition(state, target, "finance:li", "", NOW)
        events.append(event)
    assert state == S.CLOSED
    assert [(e.from_state, e.to_state) for e in events] == list(itertools.pairwise(MAIN_LINE))
    assert all(e.actor == "finance:li" and e.at == NOW for e in events)


def test_accepts_plain_strings_as_the_api_sends_them() -> None:
    state, event = transition("OPEN", "INVESTIGATING", "cashier:7", "looks doubled", NOW)
    assert state is S.INVESTIGATING
    assert event.reason == "looks doubled"
    assert event.command == "move"


def test_a_closed_case_cannot_change_except_by_reopening() -> None:
    with pytest.raises(IllegalTransition, match="cannot change except by reopening") as info:
        transition(S.CLOSED, S.INVESTIGATING, "finance:li", "customer called again", NOW)
    assert info.value.status == 409
    assert isinstance(info.value, Conflict)
    state, event = transition(S.CLOSED, REOPEN, "finance:li", "customer called again", NOW)
    assert state == S.INVESTIGATING
    assert event.is_reopening
    assert (event.from_state, event.to_state) == (S.CLOSED, S.INVESTIGATING)
    assert event.reason == "customer called again"


@pytest.mark.parametrize("ending", [S.REJECTED, S.WRITTEN_OFF])
def test_endings_are_reopenable_and_need_a_reason(ending: CaseState) -> None:
    with pytest.raises(InvalidInput, match="needs a reason"):
        transition(S.INVESTIGATING, ending, "finance:li", "  ", NOW)
    state, _ = transition(S.INVESTIGATING, ending, "finance:li", "amount was right", NOW)
    with pytest.raises(InvalidInput, match="needs a reason"):
        transition(state, REOPEN, "finance:li", "", NOW)
    assert transition(state, REOPEN, "finance:li", "new evidence", NOW)[0] == S.INVESTIGATING


def test_reopening_an_active_case_is_refused() -> None:
    with pytest.raises(IllegalTransition, match="only a closed, rejected or written-off case"):
        transition(S.INVESTIGATING, REOPEN, "finance:li", "why not", NOW)


def test_illegal_move_names_what_is_allowed() -> None:
    with pytest.raises(IllegalTransition, match="cannot move from OPEN to RESOLVED") as info:
        transition(S.OPEN, S.RESOLVED, "finance:li", "", NOW)
    assert info.value.detail == {
        "state": "OPEN",
        "target": "RESOLVED",
        "allowed": sorted(s.value for s in ALLOWED_TRANSITIONS[S.OPEN]),
    }


def test_same_state_is_not_a_change() -> None:
    with pytest.raises(IllegalTransition, match="already INVESTIGATING"):
        transition(S.INVESTIGATING, S.INVESTIGATING, "finance:li", "", NOW)


def test_unknown_state_missing_actor_and_naive_time_are_clear_input_errors() -> None:
    with pytest.raises(InvalidInput, match="unknown case state 'DONE'"):
        transition(S.OPEN, "DONE", "finance:li", "", NOW)
    with pytest.raises(InvalidInput, match="actor"):
        transition(S.OPEN, S.INVESTIGATING, " ", "", NOW)
    with pytest.raises(InvalidInput, match="offset"):
        transition(S.OPEN, S.INVESTIGATING, "finance:li", "", datetime(2026, 10, 12, 9, 30))


def test_waiting_states_are_entered_from_and_left_to_work() -> None:
    for waiting in WAITING_STATES:
        for active in (S.OPEN, S.INVESTIGATING, S.ACTION_PENDING, S.AWAITING_FUNDS):
            assert waiting in allowed_targets(active)
        assert S.OPEN not in allowed_targets(waiting)
        assert {S.INVESTIGATING, S.ACTION_PENDING, S.RESOLVED} <= allowed_targets(waiting)


def test_resolved_only_closes() -> None:
    assert allowed_targets(S.RESOLVED) == {S.CLOSED}


def test_every_state_is_reachable_and_every_live_state_can_finish() -> None:
    reachable = _reachable_from(S.OPEN)
    assert reachable == set(CaseState)
    for state in set(CaseState) - FINAL_STATES:
        assert _reachable_from(state) & FINAL_STATES, state


def _reachable_from(start: CaseState) -> set[CaseState]:
    seen, frontier = {start}, [start]
    while frontier:
        for nxt in ALLOWED_TRANSITIONS[frontier.pop()] - seen:
            seen.add(nxt)
            frontier.append(nxt)
    return seen


@given(st.sampled_from(list(CaseState)), st.sampled_from([*CaseState, REOPEN]))
def test_any_attempt_either_follows_the_table_or_is_refused(state: CaseState, target: str) -> None:
    try:
        new_state, event = transition(state, target, "ops:1", "because", NOW)
    except IllegalTransition:
        legal = target in ALLOWED_TRANSITIONS[state] if target != REOPEN else state in FINAL_STATES
        assert not legal
        return
    if target == REOPEN:
        assert state in FINAL_STATES
        assert new_state == S.INVESTIGATING
    else:
        assert new_state in ALLOWED_TRANSITIONS[state]
    assert (event.from_state, event.to_state) == (state, new_state)


class CaseLifecycle(RuleBasedStateMachine):
    """Random commands against one case, as a busy desk would issue them."""

    def __init__(self) -> None:
        super().__init__()
        self.state = S.OPEN
        self.timeline: list[tuple[CaseState, CaseState, str]] = []
        self.clock = datetime(2026, 1, 1, tzinfo=UTC)
        self.reopen_attempts_accepted = 0

    def _attempt(self, target: str) -> None:
        self.clock += timedelta(minutes=1)
        before = self.state
        try:
            after, event = transition(before, target, "ops:1", "checked", self.clock)
        except IllegalTransition:
            assert target == REOPEN or target not in ALLOWED_TRANSITIONS[before]
            return
        assert event.at == self.clock
        assert (event.from_state, event.to_state) == (before, after)
        self.timeline.append((before, after, event.command))
        if event.is_reopening:
            self.reopen_attempts_accepted += 1
        self.state = after

    @rule(wanted=st.sampled_from(list(CaseState)))
    def move(self, wanted: CaseState) -> None:
        self._attempt(wanted)

    @rule()
    def reopen(self) -> None:
        self._attempt(REOPEN)

    @invariant()
    def state_is_one_the_table_knows(self) -> None:
        assert self.state in ALLOWED_TRANSITIONS

    @invariant()
    def timeline_replays_to_the_current_state(self) -> None:
        state = S.OPEN
        for before, after, command in self.timeline:
            assert before == state
            if command == REOPEN:
                assert before in FINAL_STATES
                assert after == S.INVESTIGATING
            else:
                assert after in ALLOWED_TRANSITIONS[before]
            state = after
        assert state == self.state

    @invariant()
    def every_reopening_is_on_the_timeline(self) -> None:
        assert sum(1 for *_, command in self.timeline if command == REOPEN) == self.reopen_attempts_accepted


TestCaseLifecycle = CaseLifecycle.TestCase
TestCaseLifecycle.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
