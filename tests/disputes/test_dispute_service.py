"""Disputes on real databases: the cycle, its money in the ledger, the record, refusals, deadlines, keys."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from tests.cases.test_case_world import admin, settle
from tests.disputes.dispute_world import (
    NOW,
    SALE_MINOR,
    SALE_RRN,
    add_evidence,
    available,
    case_events,
    ledger_ok,
    ops,
    sale_case,
)
from tests.support.factories import World

from recoup.audit.models import AuditEntry
from recoup.cases.models import Case, CaseAlert
from recoup.disputes.confirm import confirm_from_settlement
from recoup.disputes.deadlines import dispute_pass
from recoup.disputes.keyed import keyed
from recoup.disputes.models import Dispute, DisputeSubmissionItem
from recoup.disputes.repository import list_disputes, scheme_rule
from recoup.disputes.schemas import dispute_row
from recoup.disputes.service import OpenRequest, accept, advance, open_dispute, record_outcome, respond
from recoup.errors import NotFound, RecoupError
from recoup.evidence.models import EvidenceItem
from recoup.recovery.idempotency import KeyReused
from recoup.webhooks.models import WebhookEvent

CHARGEBACK = OpenRequest("unionpay", "chargeback", "4507", "1280.00", "CB-001", "2026-10-16")


def _open(world: World, number: str, request: OpenRequest = CHARGEBACK) -> int:
    with world.database.unit_of_work() as session:
        return open_dispute(session, ops(world), number, request, NOW).id


def _dispute(world: World, dispute_id: int) -> Dispute:
    with world.database.unit_of_work() as session:
        return session.execute(select(Dispute).where(Dispute.id == dispute_id)).scalar_one()


def test_a_chargeback_won_in_arbitration_debits_then_credits_back_with_everything_on_record(world: World) -> None:
    number = sale_case(world)
    before = available(world)
    with world.database.unit_of_work() as session:  # the scheme charges a fee of 15.00 per chargeback
        scheme_rule(session, world.tenants["A"].id, "UNIONPAY").chargeback_fee_minor = 1500
    dispute_id = _open(world, number)
    opened = _dispute(world, dispute_id)
    assert (opened.stage, opened.state, opened.due_on) == ("CHARGEBACK", "AWAITING_RESPONSE", date(2026, 11, 15))
    assert available(world) == before - SALE_MINOR - 1500
    receipt = add_evidence(world, number, "receipt", "receipt.png")
    slip = add_evidence(world, number, "slip", "slip.png")
    with world.database.unit_of_work() as session:
        respond(session, ops(world), dispute_id, [receipt, slip], NOW + timedelta(days=2))
    with world.database.unit_of_work() as session:
        frozen = {(i.evidence_id, i.sha256) for i in session.execute(select(DisputeSubmissionItem)).scalars()}
        stored = {(i.id, i.sha256) for i in session.execute(select(EvidenceItem)).scalars()}
    assert frozen == stored
    assert _dispute(world, dispute_id).stage == "REPRESENTMENT"
    with world.database.unit_of_work() as session:
        advance(session, ops(world), dispute_id, "pre-arbitration", NOW + timedelta(days=20))
    with world.database.unit_of_work() as session:
        respond(session, ops(world), dispute_id, [receipt], NOW + timedelta(days=21))
    with world.database.unit_of_work() as session:
        advance(session, ops(world), dispute_id, "arbitration", NOW + timedelta(days=30))
    with world.database.unit_of_work() as session:
        respond(session, ops(world), dispute_id, [], NOW + timedelta(days=31))
        record_outcome(session, ops(world), dispute_id, "won", NOW + timedelta(days=40))
    ended = _dispute(world, dispute_id)
    assert (ended.outcome, ended.credited_minor) == ("WON", SALE_MINOR)
    assert available(world) == before - 1500  # the amount came back; the fee stays
    ledger_ok(world)
    events = case_events(world, number)
    assert [e for e in events if e.startswith("dispute.")] == [
        "dispute.opened", "dispute.respond", "dispute.advance", "dispute.respond", "dispute.advance",
        "dispute.respond", "dispute.outcome"]
    with world.database.unit_of_work() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        assert (case.rung, case.state) == ("SCHEME_DISPUTE", "RESOLVED")
        audited = session.execute(select(func.count()).select_from(AuditEntry)
                                  .where(AuditEntry.action.like("dispute.%"))).scalar_one()
        assert audited == 7
        announced = [e.payload for e in session.execute(select(WebhookEvent)).scalars()
                     if "dispute" in e.payload["data"]]  # type: ignore[operator]
        assert len(announced) == 7
        lines = [settle(session, world.tenants["A"].id, "CHARGEBACK", SALE_RRN, -SALE_MINOR, post=False),
                 settle(session, world.tenants["A"].id, "CHARGEBACK_REVERSAL", SALE_RRN, SALE_MINOR, post=False)]
        assert confirm_from_settlement(session, lines, NOW + timedelta(days=41)) == 2
        assert confirm_from_settlement(session, lines, NOW + timedelta(days=42)) == 0
    confirmed = dispute_row(_dispute(world, dispute_id), number)
    assert confirmed["debit_confirmed"]
    assert confirmed["credit_confirmed"]


def test_accepting_a_chargeback_leaves_the_money_with_the_cardholder(world: World) -> None:
    number = sale_case(world)
    before = available(world)
    dispute_id = _open(world, number, OpenRequest("visa", "chargeback", "12.5", "100.00"))
    with world.database.unit_of_work() as session:
        accept(session, ops(world), dispute_id, NOW)
    assert _dispute(world, dispute_id).outcome == "ACCEPTED"
    assert available(world) == before - 10000
    ledger_ok(world)


def test_bad_disputes_are_refused_clearly_and_change_nothing(world: World) -> None:
    number = sale_case(world)
    refusals = {
        "unknown card scheme": OpenRequest("amex", "chargeback", "4507", "1.00"),
        "unknown unionpay reason code": OpenRequest("unionpay", "chargeback", "9999", "1.00"),
        "above the sale": OpenRequest("unionpay", "chargeback", "4507", "1280.01"),
        "already past": OpenRequest("unionpay", "chargeback", "4507", "1.00", due_on="2026-10-01"),
        "retrieval request or a chargeback": OpenRequest("unionpay", "arbitration", "4507", "1.00"),
    }
    for message, request in refusals.items():
        with pytest.raises(RecoupError, match=message):
            _open(world, number, request)
    with pytest.raises(NotFound):
        with world.database.unit_of_work() as session:
            open_dispute(session, ops(world, "B"), number, CHARGEBACK, NOW)
    with world.database.unit_of_work() as session:
        assert session.execute(select(func.count()).select_from(Dispute)).scalar_one() == 0
    dispute_id = _open(world, number, OpenRequest("unionpay", "retrieval", "4806", "1280.00", "R-1", "2026-10-16"))
    add_evidence(world, number, "slip", "slip.png")
    late = NOW + timedelta(days=30)
    with pytest.raises(RecoupError, match="only an admin may answer late"):
        with world.database.unit_of_work() as session:
            respond(session, ops(world), dispute_id, [], late)
    with pytest.raises(RecoupError, match="only an admin"):
        with world.database.unit_of_work() as session:
            respond(session, ops(world), dispute_id, [], late, late_reason="the scheme portal was down")
    with world.database.unit_of_work() as session:
        respond(session, admin(world), dispute_id, [], late, late_reason="the scheme portal was down")
    assert _dispute(world, dispute_id).state == "RESPONDED"


def test_the_daily_pass_alerts_disputes_due_soon_once_a_day_and_expires_the_late_ones(world: World) -> None:
    number = sale_case(world)
    dispute_id = _open(world, number, OpenRequest("unionpay", "retrieval", "4806", "10.00", "R-2", "2026-10-16"))
    due = _dispute(world, dispute_id).due_on  # 2026-11-05
    assert dispute_pass(world.database, NOW) == 0
    two_days_before = NOW + timedelta(days=(due - date(2026, 10, 17)).days - 2)
    assert dispute_pass(world.database, two_days_before) == 1
    assert dispute_pass(world.database, two_days_before + timedelta(hours=1)) == 0  # once a day
    assert dispute_pass(world.database, two_days_before + timedelta(days=1)) == 1  # and again the next day
    assert dispute_pass(world.database, two_days_before + timedelta(days=2)) == 1  # the due day itself
    assert dispute_pass(world.database, two_days_before + timedelta(days=2, hours=2)) == 0
    assert dispute_pass(world.database, two_days_before + timedelta(days=3)) == 1  # past due: expired
    assert _dispute(world, dispute_id).outcome == "EXPIRED"
    assert dispute_pass(world.database, two_days_before + timedelta(days=4)) == 0  # reported once
    with world.database.unit_of_work() as session:
        alerts = list(session.execute(select(CaseAlert).order_by(CaseAlert.id)).scalars())
        expired = list_disputes(session, ops(world), outcome="expired")
    assert [a.kind for a in alerts] == ["dispute_due"] * 3 + ["dispute_expired"]
    assert {a.owner_role for a in alerts} == {"acquirer_ops"}  # the owner of a case on the SCHEME_DISPUTE rung
    assert "1 day(s) left" in alerts[1].message
    assert [d.id for d in expired] == [dispute_id]


def test_the_same_key_acts_once_and_another_request_with_it_is_refused(world: World) -> None:
    number = sale_case(world)
    principal = ops(world)

    def work(session: object) -> dict[str, object]:
        dispute = open_dispute(session, principal, number, CHARGEBACK, NOW)  # type: ignore[arg-type]
        return dispute_row(dispute, number)

    first, replayed = keyed(world.database, principal, "dispute.open", number, "k-1", {"a": 1}, work, NOW)
    again, replayed_again = keyed(world.database, principal, "dispute.open", number, "k-1", {"a": 1}, work, NOW)
    assert (replayed, replayed_again, again) == (False, True, first)
    with pytest.raises(KeyReused):
        keyed(world.database, principal, "dispute.open", number, "k-1", {"a": 2}, work, NOW)
    with world.database.unit_of_work() as session:
        assert session.execute(select(func.count()).select_from(Dispute)).scalar_one() == 1
