"""RESOLVED says the money is back: while a refund of the case still waits for the bank's confirmation a
person may resolve it by hand only with a reason (the payer was paid another way), never in silence."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.recovery.sale_world import SALE_RRN, sale_with_three_cases
from tests.support.factories import World, token_for

from recoup.cases.models import Case
from recoup.recovery.models import RecoveryAction


def test_resolving_by_hand_while_a_refund_waits_needs_a_reason(client: TestClient, world: World) -> None:
    case = sale_with_three_cases(world).cases[0]
    headers = {"Authorization": f"Bearer {token_for(world.database, 'a-admin')}"}
    refund = client.post(f"/api/v1/cases/{case}/actions", json={"kind": "REFUND", "amount": "796.00",
                                                                 "rrn": SALE_RRN},
                         headers={**headers, "Idempotency-Key": "resolve-while-waiting"})
    assert refund.status_code == 201, refund.text
    with world.database.unit_of_work() as session:
        assert session.execute(select(RecoveryAction.status)).scalars().all() == ["INSTRUCTED"]

    silent = client.post(f"/api/v1/cases/{case}/move", json={"state": "RESOLVED", "reason": "  "}, headers=headers)
    assert silent.status_code == 422
    assert silent.json()["error"].startswith("a refund or collection of this case still waits for the bank's "
                                             "confirmation: say why")
    with world.database.unit_of_work() as session:
        assert session.execute(select(Case.state).where(Case.number == case)).scalar_one() != "RESOLVED"

    said = client.post(f"/api/v1/cases/{case}/move", json={"state": "RESOLVED",
                                                          "reason": "the merchant refunded the payer in cash"},
                       headers=headers)
    assert said.status_code == 200, said.text
    with world.database.unit_of_work() as session:
        assert session.execute(select(Case.state).where(Case.number == case)).scalar_one() == "RESOLVED"


def test_with_nothing_waiting_a_case_resolves_without_a_reason(client: TestClient, world: World) -> None:
    case = sale_with_three_cases(world).cases[2]  # opened by hand, no money moved
    headers = {"Authorization": f"Bearer {token_for(world.database, 'a-admin')}"}
    worked = client.post(f"/api/v1/cases/{case}/move", json={"state": "INVESTIGATING", "reason": ""}, headers=headers)
    assert worked.status_code == 200, worked.text
    moved = client.post(f"/api/v1/cases/{case}/move", json={"state": "RESOLVED", "reason": ""}, headers=headers)
    assert moved.status_code == 200, moved.text
