"""Recovery actions: idempotent, within limits, recorded before they are performed, confirmed by later
files, with the ledger balanced after every step."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from tests.cases.test_case_world import (
    MERCHANT_A,
    MERCHANT_B,
    TERMINAL_B,
    WHEN,
    Finding,
    add_sale,
    admin,
    case_numbered,
    journal_line,
    overcharge_case,
    save,
    settle,
)
from tests.support.factories import World

from recoup.audit.models import AuditEntry
from recoup.cases.models import CaseAlert
from recoup.cases.repository import timeline
from recoup.cases.service import move_case
from recoup.cases.worker import run_pass
from recoup.db import utcnow
from recoup.errors import NotFound, RecoupError
from recoup.ledger import rules
from recoup.ledger.service import merchant_accounts, post, post_settlement, verify_ledger
from recoup.recovery.collect import for_action
from recoup.recovery.confirm import confirm_from_journal, confirm_from_settlement
from recoup.recovery.emvqr import read_payment_request
from recoup.recovery.idempotency import KeyReused
from recoup.recovery.limits import RefundLimitExceeded
from recoup.recovery.models import PaymentRequest, RecoveryAction
from recoup.recovery.plans import ActionRequest
from recoup.recovery.provider import Instruction, ProviderError, Receipt, RecordingProvider, use_provider
from recoup.recovery.service import confirm_by_hand, perform, prepare
from recoup.transactions.models import ImportBatch

FUNDS = 500000  # 5000.00 of other sales settled, so refunds are covered


def _refund(world: World, number: str, amount: str, key: str) -> dict[str, object]:
    return perform(world.database, admin(world), number, ActionRequest("refund", amount), key).action


def _actions(world: World) -> list[RecoveryAction]:
    with world.database.unit_of_work() as session:
        return list(session.execute(select(RecoveryAction).order_by(RecoveryAction.id)).scalars())


def _accounts(world: World) -> dict[str, str]:
    with world.database.unit_of_work() as session:
        verify_ledger(session)
        return {row["account"]: str(row["balance"]) for row in merchant_accounts(session, admin(world), MERCHANT_A)}


def test_the_same_key_twice_refunds_once_and_answers_the_same(world: World) -> None:
    number = overcharge_case(world, fund_minor=FUNDS)
    first = perform(world.database, admin(world), number, ActionRequest("refund", "1152.00"), "refund-1")
    again = perform(world.database, admin(world), number, ActionRequest("refund", "1152.00"), "refund-1")
    assert (first.replayed, again.replayed) == (False, True)
    assert again.action == first.action
    assert first.action["state"] == "INSTRUCTED"
    assert len(_actions(world)) == 1
    accounts = _accounts(world)
    assert (accounts["PAYABLE_TO_PAYER"], accounts["AVAILABLE"]) == ("1152.00", "5128.00")
    assert case_numbered(world.database, number).state == "ACTION_PENDING"


def test_a_key_reused_for_another_request_is_refused_changes_nothing_and_is_audited(world: World) -> None:
    number = overcharge_case(world, fund_minor=FUNDS)
    _refund(world, number, "100.00", "refund-2")
    with pytest.raises(KeyReused, match="already used for another request") as refused:
        _refund(world, number, "200.00", "refund-2")
    assert refused.value.status == 409
    assert [a.amount_minor for a in _actions(world)] == [10000]
    with world.database.unit_of_work() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "case.refund.refused")).scalar_one()
    assert (entry.object_id, entry.after) == (number, {"kind": "refund", "amount": "200.00", "rrn": None,
                                                       "idempotency_key": "refund-2"})


def test_a_refund_above_what_is_left_is_refused_with_a_clear_message(world: World) -> None:
    number = overcharge_case(world, fund_minor=FUNDS)
    _refund(world, number, "1000.00", "refund-3")
    with pytest.raises(RefundLimitExceeded) as refused:
        _refund(world, number, "152.01", "refund-4")
    assert refused.value.message == (f"152.01 CNY exceeds what is left to recover on case {number}: 1152.00 at stake, "
                                     "0.00 recovered, 1000.00 under way, 152.00 left")
    assert _refund(world, number, "152.00", "refund-4")["state"] == "INSTRUCTED"


def test_refunds_of_a_sale_never_exceed_it_counting_the_journals_refunds(world: World) -> None:
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        add_sale(session, tenant_id, "610000000001", 5000)
        add_sale(session, tenant_id, "610000000009", FUNDS)
        journal_line(session, tenant_id, "REFUND", "610000000002", 3000, orig_rrn="610000000001")
    number = save(world, [Finding("DUPLICATE_CHARGE", MERCHANT_A, "610000000001", 5000, 0,
                                  related_rrn="610000000000")]).cases[0]
    with pytest.raises(RefundLimitExceeded, match=r"would exceed the sale: 50\.00 CNY sold, 30\.00 CNY already"):
        _refund(world, number, "20.01", "refund-5")
    assert _refund(world, number, "20.00", "refund-5")["state"] == "INSTRUCTED"


@pytest.mark.parametrize("amount", ["-1.00", "0", "0.00", "1.001", "12,34.5x", ""])
def test_bad_amounts_are_refused_and_change_nothing(world: World, amount: str) -> None:
    number = overcharge_case(world, fund_minor=FUNDS)
    with pytest.raises(RecoupError) as refused:
        _refund(world, number, amount, "refund-6")
    assert refused.value.status == 422
    assert _actions(world) == []
    with world.database.unit_of_work() as session:
        assert session.execute(select(func.count()).select_from(AuditEntry)
                               .where(AuditEntry.action == "case.refund.refused")).scalar_one() == 1


def test_unknown_cases_and_other_merchants_sales_are_not_found(world: World) -> None:
    number = overcharge_case(world, fund_minor=FUNDS)
    with world.database.unit_of_work() as session:
        add_sale(session, world.tenants["B"].id, "620000000001", 9000, merchant_id=MERCHANT_B, terminal_id=TERMINAL_B)
    with pytest.raises(NotFound, match="no case RC-2026-999999"):
        _refund(world, "RC-2026-999999", "1.00", "refund-7")
    with pytest.raises(NotFound, match="no sale with RRN 620000000001"):
        perform(world.database, admin(world), number, ActionRequest("refund", "1.00", rrn="620000000001"), "refund-8")
    with pytest.raises(NotFound):
        perform(world.database, admin(world, "B"), number, ActionRequest("refund", "1.00"), "refund-9")
    assert _actions(world) == []


def test_actions_illegal_for_the_case_are_refused(world: World) -> None:
    number = overcharge_case(world, fund_minor=FUNDS)
    with pytest.raises(RecoupError, match="collecting a difference is for a payer who underpaid"):
        perform(world.database, admin(world), number, ActionRequest("collect", "1.00"), "collect-1")
    with pytest.raises(RecoupError, match="has settled, so it can no longer be voided"):
        perform(world.database, admin(world), number, ActionRequest("void"), "void-1")
    with world.database.unit_of_work() as session:
        move_case(session, admin(world), number, "REJECTED", "customer agreed the price")
    with pytest.raises(RecoupError, match="the case is REJECTED: no recovery action") as refused:
        _refund(world, number, "1.00", "refund-10")
    assert refused.value.status == 409
    assert _actions(world) == []


@pytest.mark.parametrize("settlement_first", [False, True])
def test_a_later_settlement_confirms_the_refund_and_resolves_the_case(world: World, settlement_first: bool) -> None:
    number = overcharge_case(world, fund_minor=FUNDS)
    _refund(world, number, "1152.00", "refund-11")
    with world.database.unit_of_work() as session:
        line = settle(session, world.tenants["A"].id, "REFUND", "630000000001", 115200, order_no="NO-1", post=False)
        if settlement_first:
            assert post_settlement(session, [line]) == 1
        assert confirm_from_settlement(session, [line]) == 1
        post_settlement(session, [line])
        assert confirm_from_settlement(session, [line]) == 0
    case = case_numbered(world.database, number)
    assert (case.state, case.recovered_minor) == ("RESOLVED", 115200)
    assert _actions(world)[0].status == "CONFIRMED"
    accounts = _accounts(world)
    assert (accounts["AVAILABLE"], accounts["PAYABLE_TO_PAYER"], accounts["HELD"]) == ("5128.00", "0.00", "0.00")


def test_the_journal_confirms_first_and_the_settlement_then_books_nothing_twice(world: World) -> None:
    number = overcharge_case(world, fund_minor=FUNDS)
    _refund(world, number, "1152.00", "refund-12")
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        refund = journal_line(session, tenant_id, "REFUND", "640000000001", 115200, orig_rrn="400000000001")
        assert confirm_from_journal(session, [refund]) == 1
    with world.database.unit_of_work() as session:
        line = settle(session, tenant_id, "REFUND", "640000000001", 115200, post=False)
        assert confirm_from_settlement(session, [line]) == 0
        assert post_settlement(session, [line]) == 0
    assert case_numbered(world.database, number).state == "RESOLVED"
    assert _accounts(world)["AVAILABLE"] == "5128.00"


def test_void_before_settlement_is_confirmed_by_the_journal(world: World) -> None:
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        add_sale(session, tenant_id, "650000000001", 8800, settled=False)
    number = save(world, [Finding("DUPLICATE_CHARGE", MERCHANT_A, "650000000001", 8800, 0,
                                  related_rrn="650000000000")]).cases[0]
    same_day = WHEN + timedelta(hours=3)  # the sale's day, in Shanghai
    with pytest.raises(RecoupError, match=r"cancels the whole sale of 88\.00 CNY, not 10\.00"):
        perform(world.database, admin(world), number, ActionRequest("void", "10.00"), "void-2", now=same_day)
    voided = perform(world.database, admin(world), number, ActionRequest("void"), "void-3", now=same_day).action
    assert (voided["amount"], voided["state"]) == ("88.00", "INSTRUCTED")
    with pytest.raises(RefundLimitExceeded):
        _refund(world, number, "1.00", "refund-13")
    with world.database.unit_of_work() as session:
        line = journal_line(session, tenant_id, "VOID", "650000000002", 8800, orig_rrn="650000000001")
        assert confirm_from_journal(session, [line]) == 1
    assert case_numbered(world.database, number).state == "RESOLVED"
    assert _accounts(world)["PENDING_SETTLEMENT"] == "0.00"


def test_short_balance_waits_for_funds_with_a_transfer_request_then_proceeds(world: World) -> None:
    number = overcharge_case(world)  # only the sale's own 1280.00 settled...
    with world.database.unit_of_work() as session:  # ...and was paid out: nothing is available
        post(session, world.tenants["A"].id, "payout:1", "transfer.out", rules.transfer_out(MERCHANT_A, 128000, "CNY"))
    short = _refund(world, number, "1152.00", "refund-16")
    assert short["state"] == "AWAITING_FUNDS"
    with world.database.unit_of_work() as session:
        path = [e.to_state for e in timeline(session, case_numbered(world.database, number).id) if e.to_state]
    assert path == ["OPEN", "INVESTIGATING", "ACTION_PENDING", "AWAITING_FUNDS"]
    transfer = _actions(world)[-1]
    assert (transfer.kind, transfer.purpose, transfer.status, transfer.amount_minor) == (
        "TRANSFER", "FUNDING", "INSTRUCTED", 115200)
    assert transfer.bank_reference == f"TR-{number}-{transfer.id}"
    assert _refund(world, number, "1152.00", "refund-16") == short  # the same answer while it waits
    assert run_pass(world.database).funded == 0
    confirm_by_hand(world.database, admin(world), number, transfer.id, "CMB-778812")
    refund = next(a for a in _actions(world) if a.idempotency_key == "refund-16")
    assert refund.status == "INSTRUCTED"
    assert case_numbered(world.database, number).state == "ACTION_PENDING"
    accounts = _accounts(world)
    assert (accounts["AVAILABLE"], accounts["PAYABLE_TO_PAYER"]) == ("0.00", "1152.00")


class FailingProvider:
    name = "failing"

    def __init__(self) -> None:
        self.calls = 0

    def execute(self, instruction: Instruction) -> Receipt:
        self.calls += 1
        raise ProviderError(f"acquirer unreachable for {instruction.reference}")


@pytest.fixture
def failing_provider() -> Iterator[FailingProvider]:
    provider = FailingProvider()
    previous = use_provider(provider)
    yield provider
    use_provider(previous)


def test_a_provider_error_fails_the_action_releases_the_hold_and_the_same_request_retries(
        world: World, failing_provider: FailingProvider) -> None:
    number = overcharge_case(world, fund_minor=FUNDS)
    failed = _refund(world, number, "1152.00", "refund-17")
    assert failed["state"] == "FAILED"
    assert "acquirer unreachable" in str(failed["error"])
    assert _accounts(world)["HELD"] == "0.00"
    assert _accounts(world)["AVAILABLE"] == "6280.00"
    use_provider(RecordingProvider())
    retried = _refund(world, number, "1152.00", "refund-17")
    assert (retried["state"], retried["id"]) == ("INSTRUCTED", failed["id"])
    assert len(_actions(world)) == 1
    assert failing_provider.calls == 1


def test_a_crash_before_the_provider_answered_is_finished_by_the_worker(world: World) -> None:
    number = overcharge_case(world, fund_minor=FUNDS)
    with world.database.unit_of_work() as session:  # step 1 committed, then the process died
        prepare(session, admin(world), number, ActionRequest("refund", "10.00"), "refund-18")
    assert _actions(world)[0].status == "PENDING"
    assert run_pass(world.database, utcnow() + timedelta(seconds=30)).resumed == 0
    assert run_pass(world.database, utcnow() + timedelta(minutes=5)).resumed == 1
    assert _actions(world)[0].status == "INSTRUCTED"
    assert _accounts(world)["PAYABLE_TO_PAYER"] == "10.00"


def test_an_unconfirmed_recovery_alerts_its_owner_once(world: World) -> None:
    number = overcharge_case(world, fund_minor=FUNDS)
    _refund(world, number, "10.00", "refund-19")
    later = utcnow() + timedelta(days=6)
    assert [run_pass(world.database, later + timedelta(hours=h)).unconfirmed_alerts for h in range(3)] == [1, 0, 0]
    with world.database.unit_of_work() as session:
        alert = session.execute(select(CaseAlert).where(CaseAlert.kind == "ACTION_UNCONFIRMED")).scalar_one()
    assert alert.message.startswith("REFUND 10.00 CNY instructed")


def test_collecting_a_difference_by_qr_is_paid_by_a_later_line_with_the_bill_number(world: World) -> None:
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        add_sale(session, tenant_id, "660000000001", 1280, order_no="NO-5")
    number = save(world, [Finding("UNDERCHARGE", MERCHANT_A, "660000000001", 1280, 12800, order_no="NO-5",
                                  cause="MISSING_DIGIT")]).cases[0]
    collect = perform(world.database, admin(world), number, ActionRequest("collect", "115.20"), "collect-2").action
    assert case_numbered(world.database, number).state == "AWAITING_PAYER"
    with world.database.unit_of_work() as session:
        request = for_action(session, int(str(collect["id"])))
        assert request is not None
        asked = read_payment_request(request.payload)
    assert (asked.bill_number, asked.amount.minor, asked.amount.currency) == (number, 11520, "CNY")
    assert _accounts(world)["RECEIVABLE_FROM_PAYER"] == "115.20"
    with world.database.unit_of_work() as session:
        wrong = journal_line(session, tenant_id, "SALE", "660000000002", 11500, order_no=number)
        paid = journal_line(session, tenant_id, "SALE", "660000000003", 11520, order_no=number)
        assert confirm_from_journal(session, [wrong, paid]) == 1
        settled = settle(session, tenant_id, "SALE", "660000000003", 11520, fee_minor=20, order_no=number, post=False)
        assert confirm_from_settlement(session, [settled]) == 0
        post_settlement(session, [settled])
    assert case_numbered(world.database, number).state == "RESOLVED"
    with world.database.unit_of_work() as session:
        assert session.execute(select(PaymentRequest.status)).scalar_one() == "PAID"
    accounts = _accounts(world)
    assert (accounts["RECEIVABLE_FROM_PAYER"], accounts["PENDING_SETTLEMENT"], accounts["FEES"]) == (
        "0.00", "0.00", "0.20")


def test_acquirer_side_adjustments_are_confirmed_by_hand_and_post_to_the_ledger(world: World) -> None:
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        add_sale(session, tenant_id, "670000000001", 7000, settled=False)
        add_sale(session, tenant_id, "670000000009", FUNDS)
    owed, owing = save(world, [Finding("UNSETTLED", MERCHANT_A, "670000000001", 7000, 7000),
                               Finding("SETTLEMENT_MISMATCH", MERCHANT_A, "670000000009", FUNDS + 500, FUNDS)]).cases
    credit = perform(world.database, admin(world), owed, ActionRequest("adjustment", "70.00"), "adj-1").action
    debit = perform(world.database, admin(world), owing, ActionRequest("adjustment", "5.00"), "adj-2").action
    assert (credit["direction"], debit["direction"]) == ("CREDIT", "DEBIT")
    assert _accounts(world)["HELD"] == "5.00"
    overcharged = overcharge_case(world)
    refund = _refund(world, overcharged, "1.00", "refund-20")
    with pytest.raises(RecoupError, match="a refund is confirmed by the journal or settlement that carries it"):
        confirm_by_hand(world.database, admin(world), overcharged, int(str(refund["id"])), "by hand")
    for number, action in ((owed, credit), (owing, debit)):
        confirm_by_hand(world.database, admin(world), number, int(str(action["id"])), "ACQ-ADJ-1")
        assert case_numbered(world.database, number).state == "RESOLVED"
    accounts = _accounts(world)
    assert (accounts["AVAILABLE"], accounts["HELD"]) == ("6344.00", "0.00")  # 5000 + 70 - 5 + 1280 - 1


def test_a_file_imported_before_the_action_does_not_confirm_it(world: World) -> None:
    number = overcharge_case(world, fund_minor=FUNDS)
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        batch = ImportBatch(tenant_id=tenant_id, kind="journal", filename="old.csv", content_sha256="0" * 64,
                            imported_by="test", imported_at=utcnow() - timedelta(hours=1))
        session.add(batch)
        session.flush()
        old = journal_line(session, tenant_id, "REFUND", "680000000001", 10000, orig_rrn="400000000001")
        old.import_id = batch.id
    _refund(world, number, "100.00", "refund-21")
    with world.database.unit_of_work() as session:
        assert confirm_from_journal(session, [session.merge(old)]) == 0
    assert case_numbered(world.database, number).state == "ACTION_PENDING"


def test_a_debit_that_should_not_exist_is_reversed_and_confirmed_by_the_journal(world: World) -> None:
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        add_sale(session, tenant_id, "690000000001", 6300, status="TIMEOUT")
        add_sale(session, tenant_id, "690000000009", FUNDS)
    number = save(world, [Finding("DEBITED_BUT_FAILED", MERCHANT_A, "690000000001", 6300, 0)]).cases[0]
    reversed_ = perform(world.database, admin(world), number, ActionRequest("reversal"), "rev-1").action
    assert (reversed_["amount"], reversed_["state"]) == ("63.00", "INSTRUCTED")
    with world.database.unit_of_work() as session:
        line = journal_line(session, tenant_id, "REVERSAL", "690000000002", 6300, orig_rrn="690000000001")
        assert confirm_from_journal(session, [line]) == 1
    case = case_numbered(world.database, number)
    assert (case.state, case.recovered_minor) == ("RESOLVED", 6300)
    assert _accounts(world)["AVAILABLE"] == "5000.00"  # 5000.00 + the 63.00 cleared, reversed
