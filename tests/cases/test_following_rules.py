"""The pure rules of issue 17 (recoup.cases.follow_rules): what a run does to a case it opened before."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from recoup.cases.follow_rules import (
    LEFT_FOR_PERSON,
    RESOLVED_BY_FILES,
    CaseView,
    Explanation,
    Outcome,
    amount_change,
    decide,
)

REFUND = Explanation("journal", "REFUND", "100000000009", "2026-10-17", 13654, True, 13654)


def _view(**changes: object) -> CaseView:
    base: dict[str, object] = {"state": "OPEN", "follow_state": None, "live_findings": 0, "gone_findings": 1,
                               "day_covered": True, "explanation": REFUND, "touched": "", "resolvable": True}
    return CaseView(**{**base, **changes})  # type: ignore[arg-type]


def test_gone_and_explained_resolves_naming_the_line() -> None:
    decision = decide(_view())
    assert decision.outcome == Outcome.RESOLVED
    assert "REFUND 100000000009 of 2026-10-17 for 136.54" in decision.reason


def test_what_cannot_be_judged_yet_waits() -> None:
    assert decide(_view(day_covered=False)).outcome == Outcome.NOT_JUDGED
    unsettled = Explanation("journal", "REFUND", "100000000009", "2026-10-17", 13654, False, 13654)
    assert decide(_view(explanation=unsettled)).outcome == Outcome.NOT_JUDGED


def test_a_person_or_a_machine_that_forbids_it_leaves_the_case() -> None:
    assert decide(_view(touched="a-admin owns the case")).outcome == Outcome.LEFT
    assert decide(_view(resolvable=False)).outcome == Outcome.LEFT
    assert decide(_view(explanation=None)).outcome == Outcome.LEFT


def test_a_comeback_reopens_only_what_the_runs_resolved() -> None:
    assert decide(_view(state="RESOLVED", follow_state=RESOLVED_BY_FILES, live_findings=1)).outcome == Outcome.REOPENED
    assert decide(_view(state="RESOLVED", live_findings=1)).outcome == Outcome.NOTHING  # a person resolved it


@given(st.sampled_from(["OPEN", "INVESTIGATING", "RESOLVED", "CLOSED", "REJECTED", "ESCALATED"]),
       st.sampled_from([None, RESOLVED_BY_FILES, LEFT_FOR_PERSON]), st.integers(0, 3), st.integers(0, 3),
       st.booleans(), st.booleans())
def test_a_decision_is_never_taken_twice(state: str, follow: str | None, live: int, gone: int, covered: bool,
                                         touched: bool) -> None:
    """Once a run decided (a follow-up state), the same facts decide nothing more; and a finished or
    resolved case is never resolved or left again."""
    view = _view(state=state, follow_state=follow, live_findings=live, gone_findings=gone, day_covered=covered,
                 touched="note" if touched else "")
    outcome = decide(view).outcome
    if follow is not None and not live:
        assert outcome == Outcome.NOTHING
    if state in {"RESOLVED", "CLOSED", "REJECTED"}:
        assert outcome in {Outcome.NOTHING, Outcome.REOPENED}
    if outcome == Outcome.REOPENED:
        assert follow == RESOLVED_BY_FILES
        assert live


@given(st.integers(0, 10**9), st.integers(0, 10**9))
def test_only_growth_alerts(before: int, after: int) -> None:
    delta, alert = amount_change(before, after)
    assert before + delta == after
    assert alert == (after > before)
