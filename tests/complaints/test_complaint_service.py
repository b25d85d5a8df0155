"""Complaints in the database: filing, candidates, linking, cases both ways, answers, rating, deadlines."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from tests.complaints.complaint_world import (
    FILED_AT,
    MERCHANT_A,
    MERCHANT_B,
    TERMINAL_B,
    add_sale,
    file_complaint,
    sale_pair,
    staff,
)
from tests.support.factories import World

from recoup.audit.models import AuditEntry
from recoup.auth.roles import Role
from recoup.cases.models import Case, CaseAlert, CaseEvent
from recoup.cases.opening import OpenRequest, open_case
from recoup.complaints.deadlines import complaint_pass
from recoup.complaints.linking import OtherMerchant, candidates, join_case, link_transaction, open_case_for
from recoup.complaints.models import Complaint
from recoup.complaints.repository import get_complaint
from recoup.complaints.rules import RateLimits
from recoup.complaints.service import (
    ExpiredCode,
    UnknownCode,
    answer,
    close,
    find_by_code,
    public_status,
    rate,
    set_deadlines,
)
from recoup.complaints.states import DeadlinePolicy, IllegalComplaintChange
from recoup.complaints.throttle import TooManyComplaints, count_attempt
from recoup.config import Settings
from recoup.errors import Conflict, Forbidden, InvalidInput, NotFound


def test_a_payers_complaint_is_filed_with_a_hashed_code_and_a_sealed_contact(world: World,
                                                                             settings: Settings) -> None:
    filed = file_complaint(world, settings, contact="li.lei@example.com")
    with world.database.unit_of_work() as session:
        row = session.get(Complaint, filed.complaint.id)
        assert row is not None
        assert row.state == "NEW"
        assert row.owner_role == "merchant_finance"
        assert row.deadline_at == FILED_AT + timedelta(days=2)
        assert filed.tracking_code not in (row.code_hash, row.contact_sealed)
        assert "li.lei" not in (row.contact_sealed or "")
        assert row.contact_masked == "l***@example.com"
        assert find_by_code(session, filed.tracking_code, FILED_AT).id == row.id
        actions = session.execute(select(AuditEntry.action).where(AuditEntry.object_id == str(row.id),
                                                                  AuditEntry.object_type == "complaint")).scalars()
        assert {"complaint.file", "complaint.alert"} <= set(actions)


def test_forged_and_expired_codes_are_refused_clearly(world: World, settings: Settings) -> None:
    filed = file_complaint(world, settings)
    principal = staff(world)
    with world.database.unit_of_work() as session:
        with pytest.raises(UnknownCode, match="no complaint has this tracking code"):
            find_by_code(session, filed.tracking_code[:-2] + "AA", FILED_AT)
        with pytest.raises(UnknownCode):
            find_by_code(session, "<script>", FILED_AT)
        close(session, principal, filed.complaint.id, "done", FILED_AT)
    with world.database.unit_of_work() as session:
        assert find_by_code(session, filed.tracking_code, FILED_AT + timedelta(days=30)).state == "CLOSED"
        with pytest.raises(ExpiredCode, match="expired"):
            find_by_code(session, filed.tracking_code, FILED_AT + timedelta(days=400))


def test_candidates_fit_the_facts_within_the_complaints_merchant_only(world: World, settings: Settings) -> None:
    right, _wrong_card = sale_pair(world)
    other = add_sale(world, "B", MERCHANT_B, TERMINAL_B, amount_minor=12800, last4="4321",
                     at=FILED_AT - timedelta(hours=25, minutes=26), rrn="300000000009")
    filed = file_complaint(world, settings)
    admin_b = staff(world, "B", Role.ADMIN)
    with world.database.unit_of_work() as session:
        complaint = session.get(Complaint, filed.complaint.id)
        assert complaint is not None
        assert [line.id for line in candidates(session, staff(world), complaint)] == [right]
        assert candidates(session, admin_b, complaint) == []  # another tenant sees nothing of it
        with pytest.raises(NotFound):
            link_transaction(session, staff(world), complaint.id, other, FILED_AT)


def test_linking_refuses_another_merchants_transaction(world: World, settings: Settings) -> None:
    from recoup.merchants.models import Merchant, Terminal

    with world.database.unit_of_work() as session:
        session.add(Merchant(merchant_id="898301054112222", tenant_id=world.tenants["A"].id, name="A2", mcc="5812"))
        session.flush()
        session.add(Terminal(terminal_id="61022222", merchant_id="898301054112222", tenant_id=world.tenants["A"].id))
    elsewhere = add_sale(world, "A", "898301054112222", "61022222", amount_minor=12800, last4="4321",
                         at=FILED_AT - timedelta(hours=25), rrn="300000000010")
    filed = file_complaint(world, settings)
    admin = staff(world, "A", Role.ADMIN)
    with world.database.unit_of_work() as session, pytest.raises(OtherMerchant, match="another merchant"):
        link_transaction(session, admin, filed.complaint.id, elsewhere, FILED_AT)
    with world.database.unit_of_work() as session:
        assert get_complaint(session, admin, filed.complaint.id).journal_id is None


def test_opening_a_case_links_both_ways_and_a_second_complaint_joins_it(world: World, settings: Settings) -> None:
    right, _ = sale_pair(world)
    first, second = file_complaint(world, settings), file_complaint(world, settings, description="me too")
    principal = staff(world)
    with world.database.unit_of_work() as session:
        link_transaction(session, principal, first.complaint.id, right, FILED_AT)
        case = open_case_for(session, principal, first.complaint.id, FILED_AT)
        number = case.number
    with world.database.unit_of_work() as session:
        complaint = get_complaint(session, principal, first.complaint.id)
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        assert complaint.case_id == case.id
        assert complaint.state == "IN_PROGRESS"
        assert case.rrn == "300000000001"
        assert case.merchant_id == MERCHANT_A
        events = session.execute(select(CaseEvent.event).where(CaseEvent.case_id == case.id)).scalars().all()
        assert "complaint_linked" in events
        from recoup.complaints.web import case_section

        assert case_section(session, principal, case) == {
            "complaints": [{"id": complaint.id, "code": complaint.code_prefix, "state": "IN_PROGRESS", "rating": None}]}
        joined = join_case(session, principal, second.complaint.id, number, FILED_AT)
        assert joined.id == case.id
        with pytest.raises(Conflict, match="already has a case"):
            open_case_for(session, principal, second.complaint.id, FILED_AT)


def test_a_transactions_existing_case_is_joined_and_another_merchants_case_is_not_found(world: World,
                                                                                     settings: Settings) -> None:
    right, _ = sale_pair(world)
    principal, admin_b = staff(world), staff(world, "B", Role.ADMIN)
    with world.database.unit_of_work() as session:
        existing = open_case(session, principal, OpenRequest(rrn="300000000001"), FILED_AT).number
        number_b = open_case(session, admin_b, OpenRequest(merchant_id=MERCHANT_B, amount="1.00")).number
    filed, other = file_complaint(world, settings), file_complaint(world, settings)
    with world.database.unit_of_work() as session:
        link_transaction(session, principal, filed.complaint.id, right, FILED_AT)
        assert open_case_for(session, principal, filed.complaint.id, FILED_AT).number == existing
    with world.database.unit_of_work() as session, pytest.raises(NotFound):
        join_case(session, principal, other.complaint.id, number_b, FILED_AT)


def test_answer_close_and_one_rating_of_1_to_5(world: World, settings: Settings) -> None:
    filed = file_complaint(world, settings, contact="li.lei@example.com")
    principal, code = staff(world), filed.tracking_code
    auditor = staff(world, "A", Role.AUDITOR)
    with world.database.unit_of_work() as session:
        with pytest.raises(Forbidden):
            answer(session, settings, auditor, filed.complaint.id, "hello", FILED_AT)
        with pytest.raises(IllegalComplaintChange):
            rate(session, code, 5, "", FILED_AT)  # nothing answered yet
    with world.database.unit_of_work() as session:
        answer(session, settings, principal, filed.complaint.id, "We refund you tomorrow.", FILED_AT)
    with world.database.unit_of_work() as session:
        view = public_status(session, find_by_code(session, code, FILED_AT))
        assert view.state == "ANSWERED"
        assert view.may_rate
        assert [text for _, text in view.answers] == [
            "We refund you tomorrow."]
        assert view.merchant_name == "商户A"
        for wrong in (0, 6):
            with pytest.raises(InvalidInput, match="1 to 5"):
                rate(session, code, wrong, "", FILED_AT)
        rate(session, code, 4, "quick", FILED_AT)
    with world.database.unit_of_work() as session:
        with pytest.raises(IllegalComplaintChange, match="already been rated"):
            rate(session, code, 5, "", FILED_AT)
    with world.database.unit_of_work() as session:
        closed = close(session, principal, filed.complaint.id, "refunded", FILED_AT + timedelta(days=1))
        assert (closed.state, closed.deadline_at, closed.rating) == ("CLOSED", None, 4)
    with world.database.unit_of_work() as session, pytest.raises(IllegalComplaintChange):
        answer(session, settings, principal, filed.complaint.id, "again", FILED_AT)


def test_overdue_complaints_escalate_once_per_deadline_with_the_tenants_deadlines(world: World,
                                                                                  settings: Settings) -> None:
    with world.database.unit_of_work() as session:
        set_deadlines(session, staff(world, "A", Role.ADMIN), DeadlinePolicy(1, 3), FILED_AT)
    right, _ = sale_pair(world)
    filed = file_complaint(world, settings)
    principal = staff(world)
    with world.database.unit_of_work() as session:
        link_transaction(session, principal, filed.complaint.id, right, FILED_AT)
        open_case_for(session, principal, filed.complaint.id, FILED_AT)
    assert complaint_pass(world.database, FILED_AT + timedelta(hours=23)) == 0
    late = FILED_AT + timedelta(days=1, minutes=1)
    assert complaint_pass(world.database, late) == 1
    assert complaint_pass(world.database, late + timedelta(minutes=5)) == 0  # once per deadline
    with world.database.unit_of_work() as session:
        complaint = get_complaint(session, principal, filed.complaint.id)
        assert (complaint.escalation_level, complaint.owner_role) == (1, "provider_support")
        assert complaint.deadline_at == late + timedelta(days=1)
        alerts = session.execute(select(CaseAlert.kind).where(CaseAlert.case_id == complaint.case_id)).scalars()
        assert list(alerts) == ["COMPLAINT_OVERDUE"]
    assert complaint_pass(world.database, late + timedelta(days=1, minutes=1)) == 1
    assert complaint_pass(world.database, late + timedelta(days=9)) == 1  # the top rung is alerted once more
    assert complaint_pass(world.database, late + timedelta(days=10)) == 0
    with world.database.unit_of_work() as session:
        assert get_complaint(session, principal, filed.complaint.id).owner_role == "acquirer_ops"


def test_rate_limits_count_per_address_and_per_merchant_per_hour(world: World) -> None:
    limits = RateLimits(per_address=2, per_merchant=3)
    for address in ("10.0.0.1", "10.0.0.1", "10.0.0.2"):
        with world.database.unit_of_work() as session:
            count_attempt(session, address, MERCHANT_A, FILED_AT, limits)
    with world.database.unit_of_work() as session, pytest.raises(TooManyComplaints):
        count_attempt(session, "10.0.0.1", MERCHANT_B, FILED_AT, limits)  # the address's third
    with world.database.unit_of_work() as session, pytest.raises(TooManyComplaints):
        count_attempt(session, "10.0.0.3", MERCHANT_A, FILED_AT, limits)  # the merchant's fourth
    with world.database.unit_of_work() as session:  # an hour later both count afresh
        count_attempt(session, "10.0.0.1", MERCHANT_A, FILED_AT + timedelta(hours=1), limits)
