"""Bad input to a recovery action (issue 5, "Bad input"): a clear error, nothing changed, and the
attempt on the audit trail — for every kind of bad input the issue names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from tests.cases.test_case_world import (
    MERCHANT_A,
    MERCHANT_B,
    TERMINAL_B,
    add_sale,
    admin,
    case_numbered,
    overcharge_case,
    principal,
)
from tests.support.factories import FACTORY, PASSWORD, World

from recoup.audit.models import AuditEntry
from recoup.auth.models import Tenant
from recoup.auth.principal import Principal
from recoup.auth.roles import Role
from recoup.auth.service import add_user
from recoup.cases.models import CaseEvent
from recoup.cases.service import move_case
from recoup.errors import RecoupError
from recoup.ledger.models import LedgerEntry
from recoup.merchants.models import Merchant, Terminal
from recoup.recovery.models import RecoveryAction
from recoup.recovery.plans import ActionRequest
from recoup.recovery.service import perform
from recoup.webhooks.models import WebhookEvent

FUNDS = 500000
MERCHANT_A2, TERMINAL_A2 = "898301054111440", "61027890"


@dataclass(frozen=True)
class Attempt:
    case: str
    request: ActionRequest
    key: str = "bad-1"
    user: str = "a-merchant_finance"


@dataclass(frozen=True)
class Setup:
    number: str  # the case, refunded once for 100.00 with key "used-1"
    other_merchant_case: str


def _setup(world: World) -> Setup:
    number = overcharge_case(world, fund_minor=FUNDS)
    tenant_a = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        session.add(Merchant(merchant_id=MERCHANT_A2, tenant_id=tenant_a, name="商户A2", mcc="5812"))
        session.flush()
        session.add(Terminal(terminal_id=TERMINAL_A2, merchant_id=MERCHANT_A2, tenant_id=tenant_a, model="Landi"))
        session.flush()
        add_sale(session, tenant_a, "740000000001", 9000, merchant_id=MERCHANT_A2, terminal_id=TERMINAL_A2)
        add_sale(session, world.tenants["B"].id, "750000000001", 9000, merchant_id=MERCHANT_B, terminal_id=TERMINAL_B)
    perform(world.database, admin(world), number, ActionRequest("refund", "100.00"), "used-1")
    from recoup.cases.opening import OpenRequest, open_case

    with world.database.unit_of_work() as session:
        other = open_case(session, admin(world), OpenRequest(rrn="740000000001")).number
    return Setup(number, other)


ATTEMPTS: dict[str, tuple[Callable[[Setup], Attempt], int, str]] = {
    "negative amount": (lambda s: Attempt(s.number, ActionRequest("refund", "-1.00")), 422,
                        "the amount must be positive, not '-1.00'"),
    "zero amount": (lambda s: Attempt(s.number, ActionRequest("refund", "0.00")), 422,
                    "the amount must be positive, not '0.00'"),
    "over-precise amount": (lambda s: Attempt(s.number, ActionRequest("refund", "1.001")), 422,
                            "too many decimals for CNY: '1.001'"),
    "not an amount": (lambda s: Attempt(s.number, ActionRequest("refund", "12,34.5x")), 422,
                      "not an amount: '12,34.5x'"),
    "unknown case": (lambda _: Attempt("RC-2026-999999", ActionRequest("refund", "1.00")), 404,
                     "no case RC-2026-999999"),
    "not a case reference": (lambda _: Attempt("../etc", ActionRequest("refund", "1.00")), 404, "name a case"),
    "illegal for the direction": (lambda s: Attempt(s.number, ActionRequest("collect", "1.00")), 409,
                                  "collecting a difference is for a payer who underpaid"),
    "void of a settled sale": (lambda s: Attempt(s.number, ActionRequest("void")), 409,
                               "has settled, so it can no longer be voided: refund it instead"),
    "more than is left": (lambda s: Attempt(s.number, ActionRequest("refund", "1052.01")), 409,
                          "exceeds what is left to recover"),
    "key reused with other parameters": (lambda s: Attempt(s.number, ActionRequest("refund", "200.00"), "used-1"),
                                         409, "idempotency key 'used-1' was already used for another request"),
    "no key": (lambda s: Attempt(s.number, ActionRequest("refund", "1.00"), ""), 422,
               "money-moving requests need an idempotency key"),
    "another merchant's sale": (lambda s: Attempt(s.number, ActionRequest("refund", "1.00", rrn="740000000001")),
                                404, f"no sale with RRN 740000000001 at merchant {MERCHANT_A}"),
    "another tenant's sale": (lambda s: Attempt(s.number, ActionRequest("refund", "1.00", rrn="750000000001")),
                              404, f"no sale with RRN 750000000001 at merchant {MERCHANT_A}"),
    "a case of a merchant the user does not work for": (
        lambda s: Attempt(s.other_merchant_case, ActionRequest("refund", "1.00")), 404, "no case RC-"),
    "another tenant's user": (lambda s: Attempt(s.number, ActionRequest("refund", "1.00"), user="b-admin"), 404,
                              "no case RC-"),
    "a role that may not move money": (lambda s: Attempt(s.number, ActionRequest("refund", "1.00"),
                                                         user="a-auditor"), 403, ""),
}


def _snapshot(world: World) -> dict[str, object]:
    with world.database.unit_of_work() as session:
        counted = {model.__tablename__: session.execute(select(func.count()).select_from(model)).scalar_one()
                   for model in (RecoveryAction, CaseEvent, WebhookEvent, LedgerEntry)}
        actions = [(a.status, a.amount_minor) for a in session.execute(select(RecoveryAction)).scalars()]
    return {**counted, "actions": actions}


def _audited_refusals(world: World) -> list[AuditEntry]:
    with world.database.unit_of_work() as session:
        return list(session.execute(select(AuditEntry).where(AuditEntry.action.endswith(".refused"))
                                    .order_by(AuditEntry.seq)).scalars())


@pytest.mark.parametrize("name", list(ATTEMPTS))
def test_bad_input_is_refused_clearly_changes_nothing_and_is_audited(world: World, name: str) -> None:
    setup = _setup(world)
    make, status, message = ATTEMPTS[name]
    attempt = make(setup)
    who: Principal = principal(world.database, attempt.user)
    before = _snapshot(world)
    state = case_numbered(world.database, setup.number).state
    with pytest.raises(RecoupError) as refused:
        perform(world.database, who, attempt.case, attempt.request, attempt.key or None)
    assert refused.value.status == status
    assert message in refused.value.message
    assert _snapshot(world) == before
    assert case_numbered(world.database, setup.number).state == state
    [entry] = _audited_refusals(world)
    assert entry.action == f"case.{attempt.request.kind}.refused"
    assert (entry.actor, entry.object_id, entry.note) == (attempt.user, attempt.case.strip(), refused.value.message)
    assert entry.after is not None
    assert entry.after["amount"] == attempt.request.amount


def test_an_action_on_a_finished_case_is_refused_and_audited(world: World) -> None:
    setup = _setup(world)
    with world.database.unit_of_work() as session:
        move_case(session, admin(world), setup.other_merchant_case, "REJECTED", "not a mis-charge")
    before = _snapshot(world)
    with pytest.raises(RecoupError, match="the case is REJECTED: no recovery action can be taken unless it is "
                                          "reopened") as refused:
        perform(world.database, admin(world), setup.other_merchant_case, ActionRequest("refund", "1.00"), "late-1")
    assert refused.value.status == 409
    assert _snapshot(world) == before
    assert [e.action for e in _audited_refusals(world)] == ["case.refund.refused"]


def test_a_key_another_merchant_used_is_refused_without_a_word_about_that_merchants_action(world: World) -> None:
    """Issue 10, 14a: keys are scoped per tenant, so the first request may be another merchant's (here the
    100.00 refund of merchant A); a user of merchant A2 alone learns only that the key is taken."""
    setup = _setup(world)
    with world.database.unit_of_work() as session:
        tenant = session.get(Tenant, world.tenants["A"].id)
        assert tenant is not None
        add_user(session, FACTORY, tenant=tenant, username="a2-finance", password=PASSWORD,
                 role=Role.MERCHANT_FINANCE, merchant_ids=[MERCHANT_A2])
    who = principal(world.database, "a2-finance")
    before = _snapshot(world)
    with pytest.raises(RecoupError) as refused:
        perform(world.database, who, setup.other_merchant_case, ActionRequest("refund", "90.00"), "used-1")
    assert (refused.value.status, refused.value.message, refused.value.detail) == (
        409, "idempotency key 'used-1' was already used for another request; use a new key", None)
    assert _snapshot(world) == before
    [entry] = _audited_refusals(world)
    assert "100" not in entry.note
    assert "REFUND" not in entry.note
