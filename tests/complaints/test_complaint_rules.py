"""The pure rules of complaints: the state machine (hypothesis), deadlines, escalation, facts, codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.complaints.rules import (
    check_last4,
    code_hash,
    looks_like_code,
    new_tracking_code,
    parse_contact,
    parse_facts,
    photo_kind,
)
from recoup.complaints.states import (
    TOP_LEVEL,
    Against,
    ComplaintEvent,
    ComplaintState,
    DeadlinePolicy,
    IllegalComplaintChange,
    check_rating,
    deadline_for,
    escalated,
    escalation_due,
    next_state,
    owner_role,
    starting_level,
)
from recoup.errors import InvalidInput

T0 = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
S, E = ComplaintState, ComplaintEvent


@given(st.lists(st.sampled_from(list(ComplaintEvent)), max_size=30))
def test_any_sequence_of_changes_keeps_the_machine_sound(events: list[ComplaintEvent]) -> None:
    state, answered, closed = S.NEW, False, False
    for event in events:
        try:
            after = next_state(state, event)
        except IllegalComplaintChange:
            assert state == S.CLOSED  # only a closed complaint refuses a change
            continue
        assert state != S.CLOSED
        answered = answered or event == E.ANSWER
        closed = after == S.CLOSED
        if after == S.NEW:
            assert not answered
        if answered and not closed:
            assert after == S.ANSWERED  # once answered it never looks unanswered again
        state = after
    assert (state == S.CLOSED) == closed


@given(st.sampled_from(list(ComplaintState)), st.booleans(), st.integers(-5, 10))
def test_a_rating_is_1_to_5_once_and_only_after_an_answer(state: ComplaintState, rated: bool, rating: int) -> None:
    allowed = 1 <= rating <= 5 and state in (S.ANSWERED, S.CLOSED) and not rated
    try:
        check_rating(state, rated, rating)
    except (InvalidInput, IllegalComplaintChange):
        assert not allowed
    else:
        assert allowed


def test_deadlines_follow_the_state_and_the_tenant_policy() -> None:
    policy = DeadlinePolicy(first_answer_days=1, close_days=5)
    assert deadline_for(S.NEW, T0, policy) == T0 + timedelta(days=1)
    assert deadline_for(S.IN_PROGRESS, T0, DeadlinePolicy()) == T0 + timedelta(days=2)
    assert deadline_for(S.ANSWERED, T0, DeadlinePolicy()) == T0 + timedelta(days=10)
    assert deadline_for(S.CLOSED, T0, policy) is None
    with pytest.raises(InvalidInput):
        DeadlinePolicy(first_answer_days=5, close_days=2)
    with pytest.raises(InvalidInput):
        DeadlinePolicy(first_answer_days=0)


def test_escalation_climbs_the_ladder_once_per_deadline() -> None:
    deadline = T0 + timedelta(days=2)
    assert not escalation_due(S.NEW, deadline, None, deadline)
    assert escalation_due(S.NEW, deadline, None, deadline + timedelta(seconds=1))
    assert not escalation_due(S.NEW, deadline, deadline, deadline + timedelta(days=1))
    assert not escalation_due(S.CLOSED, deadline, None, deadline + timedelta(days=1))
    now = deadline + timedelta(hours=1)
    step = escalated(0, now, DeadlinePolicy(), deadline)
    assert (step.level, step.owner_role, step.deadline_at, step.moved) == (1, "provider_support",
                                                                           now + timedelta(days=2), True)
    top = escalated(TOP_LEVEL, now, DeadlinePolicy(), deadline)
    assert (top.level, top.owner_role, top.deadline_at, top.moved) == (TOP_LEVEL, "acquirer_ops", deadline, False)
    assert owner_role(starting_level(Against.MERCHANT)) == "merchant_finance"
    assert owner_role(starting_level(Against.PROVIDER)) == "provider_support"


def test_facts_take_four_digits_never_a_card_number() -> None:
    facts = parse_facts("1,280.50", "2026-11-02T14:30", "4321", "charged 4111 1111 1111 1111 twice",
                        zone="Asia/Shanghai")
    assert facts.amount_minor == 128050
    assert facts.occurred_at == datetime(2026, 11, 2, 6, 30, tzinfo=UTC)
    assert "4111 1111 1111 1111" not in facts.description
    assert "1111 twice" in facts.description
    for wrong in ("62220212345678901", "43210", "43a1", "123"):
        with pytest.raises(InvalidInput, match="exactly 4 digits"):
            check_last4(wrong)
    with pytest.raises(InvalidInput):
        parse_facts("-5", "", "", "x", zone="Asia/Shanghai")
    with pytest.raises(InvalidInput):
        parse_facts("", "yesterday", "", "x", zone="Asia/Shanghai")
    with pytest.raises(InvalidInput, match="what happened"):
        parse_facts("", "", "", "  ", zone="Asia/Shanghai")


def test_contacts_are_masked_and_checked() -> None:
    email = parse_contact("li.lei@example.com")
    assert email is not None
    assert (email.kind, email.masked) == ("email", "l***@example.com")
    phone = parse_contact("+86 138 0013 8000")
    assert phone is not None
    assert phone.kind == "sms"
    assert phone.masked.endswith("8000")
    assert "0013" not in phone.masked
    assert parse_contact("  ") is None
    with pytest.raises(InvalidInput):
        parse_contact("<script>alert(1)</script>")


def test_tracking_codes_are_long_random_and_stored_hashed() -> None:
    codes = {new_tracking_code() for _ in range(50)}
    assert len(codes) == 50
    assert all(len(code) >= 32 and looks_like_code(code) for code in codes)
    code = next(iter(codes))
    assert len(code_hash(code)) == 64
    assert code not in code_hash(code)
    assert not looks_like_code("short")
    assert not looks_like_code("x" * 20 + "<")


def test_slip_photos_must_be_images_or_pdfs_whose_bytes_agree() -> None:
    assert photo_kind("image/png", "slip.png", b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert photo_kind("application/pdf", "slip.pdf", b"%PDF-1.7") == "application/pdf"
    with pytest.raises(InvalidInput, match="not what its type says"):
        photo_kind("image/jpeg", "slip.jpg", b"MZ\x90\x00 an executable")
    with pytest.raises(InvalidInput, match="must be an image"):
        photo_kind("text/html", "slip.html", b"<html>")
