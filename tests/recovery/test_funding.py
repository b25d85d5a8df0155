"""When the available balance is short the case moves to funding (SPEC section 2, step 4): a transfer
request to the bank, or a deduction from coming settlements, as the request chooses."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.cases.test_case_world import MERCHANT_A, add_sale, admin, case_numbered, overcharge_case
from tests.support.factories import World

from recoup.cases.repository import timeline
from recoup.cases.worker import run_pass
from recoup.errors import InvalidInput
from recoup.ledger import rules
from recoup.ledger.service import merchant_accounts, post, verify_ledger
from recoup.recovery.models import RecoveryAction
from recoup.recovery.plans import ActionRequest
from recoup.recovery.service import perform


def _short_case(world: World) -> str:
    """An OVERCHARGE case whose merchant was paid out everything: nothing is available."""
    number = overcharge_case(world)
    with world.database.unit_of_work() as session:
        post(session, world.tenants["A"].id, "payout:1", "transfer.out", rules.transfer_out(MERCHANT_A, 128000, "CNY"))
    return number


def _refund(world: World, number: str, funding: str | None, key: str) -> dict[str, object]:
    request = ActionRequest("refund", "1152.00", funding=funding)
    return perform(world.database, admin(world), number, request, key).action


def _actions(world: World) -> list[RecoveryAction]:
    with world.database.unit_of_work() as session:
        return list(session.execute(select(RecoveryAction).order_by(RecoveryAction.id)).scalars())


def _available(world: World) -> str:
    with world.database.unit_of_work() as session:
        verify_ledger(session)
        rows = merchant_accounts(session, admin(world), MERCHANT_A)
    return str(next(row["balance"] for row in rows if row["account"] == "AVAILABLE"))


def test_by_default_a_transfer_request_asks_the_bank_for_the_funds(world: World) -> None:
    number = _short_case(world)
    assert _refund(world, number, None, "fund-1")["state"] == "AWAITING_FUNDS"
    assert [(a.kind, a.purpose, a.status) for a in _actions(world)] == [
        ("REFUND", "RECOVERY", "AWAITING_FUNDS"), ("TRANSFER", "FUNDING", "INSTRUCTED")]
    assert case_numbered(world.database, number).state == "AWAITING_FUNDS"


def test_coming_settlements_fund_the_action_when_the_request_chose_them(world: World) -> None:
    number = _short_case(world)
    waiting = _refund(world, number, "settlements", "fund-2")
    assert waiting["state"] == "AWAITING_FUNDS"
    assert [a.kind for a in _actions(world)] == ["REFUND"]  # no transfer request
    case = case_numbered(world.database, number)
    assert case.state == "AWAITING_FUNDS"
    with world.database.unit_of_work() as session:
        assert "awaiting_settlements" in [event.event for event in timeline(session, case.id)]
    assert run_pass(world.database).funded == 0  # still nothing available
    with world.database.unit_of_work() as session:  # the next settlement pays 2000.00 of other sales
        add_sale(session, world.tenants["A"].id, "400000000077", 200000)
    assert run_pass(world.database).funded == 1
    assert run_pass(world.database).funded == 0
    assert _actions(world)[0].status == "INSTRUCTED"
    assert case_numbered(world.database, number).state == "ACTION_PENDING"
    assert _available(world) == "848.00"  # 2000.00 - 1152.00, deducted from the coming settlement
    assert _refund(world, number, "settlements", "fund-2") == waiting  # the first answer, replayed


def test_an_unknown_funding_choice_is_refused(world: World) -> None:
    number = _short_case(world)
    with pytest.raises(InvalidInput, match="give the funding when the balance is short: one of transfer, settlements"):
        _refund(world, number, "loan", "fund-3")
    assert _actions(world) == []
