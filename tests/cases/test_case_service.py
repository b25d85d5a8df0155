"""Working a case: opening by hand, moves of the state machine, closing and reopening, owners, notes,
the ladder — through the service, the API and the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from tests.cases.test_case_world import MERCHANT_A, MERCHANT_B, TERMINAL_B, add_sale, admin, case_numbered, principal
from tests.support.factories import World, token_for

from recoup.audit.models import AuditEntry
from recoup.auth.principal import Principal
from recoup.auth.roles import Role
from recoup.cases.ladder_settings import set_ladder
from recoup.cases.models import CaseEvent
from recoup.cases.opening import OpenRequest, open_case
from recoup.cases.repository import timeline
from recoup.cases.service import escalate_case, move_case, reopen_case
from recoup.cases.states import ALLOWED_TRANSITIONS, FINAL_STATES, REOPEN, CaseState
from recoup.db import utcnow
from recoup.errors import Forbidden, InvalidInput, NotFound, RecoupError


def _headers(world: World, user: str = "a-admin") -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(world.database, user)}"}


def _open(world: World, **fields: str) -> str:
    with world.database.unit_of_work() as session:
        return open_case(session, admin(world), OpenRequest(**fields)).number


def test_open_by_hand_for_a_transaction_takes_its_facts_and_refuses_a_second_case(world: World) -> None:
    with world.database.unit_of_work() as session:
        add_sale(session, world.tenants["A"].id, "510000000001", 128000, order_no="NO-77")
    number = _open(world, rrn="510000000001", summary="cashier keyed 1280.00")
    case = case_numbered(world.database, number)
    assert (case.merchant_id, case.order_no, case.at_stake_minor, case.kind, case.state) == (
        MERCHANT_A, "NO-77", 128000, "REPORTED", "OPEN")
    with pytest.raises(RecoupError, match=f"already has case {number}") as refused:
        _open(world, rrn="510000000001")
    assert refused.value.status == 409


def test_another_tenants_transaction_cannot_be_reported(world: World) -> None:
    with world.database.unit_of_work() as session:
        add_sale(session, world.tenants["B"].id, "520000000001", 5000, merchant_id=MERCHANT_B, terminal_id=TERMINAL_B)
    with pytest.raises(NotFound):
        _open(world, rrn="520000000001")
    with pytest.raises(NotFound):
        _open(world, merchant_id=MERCHANT_B, amount="1.00")


def test_api_moves_along_the_machine_and_refuses_an_illegal_move_clearly(client: TestClient, world: World) -> None:
    headers = _headers(world)
    opened = client.post("/api/v1/cases", json={"merchant_id": MERCHANT_A, "amount": "99.00"}, headers=headers)
    assert opened.status_code == 201
    number = opened.json()["number"]
    assert client.post(f"/api/v1/cases/{number}/move", json={"state": "INVESTIGATING"},
                       headers=headers).json()["state"] == "INVESTIGATING"
    illegal = client.post(f"/api/v1/cases/{number}/move", json={"state": "CLOSED"}, headers=headers)
    assert illegal.status_code == 409
    assert illegal.json()["error"] == "a case cannot move from INVESTIGATING to CLOSED"
    assert "RESOLVED" in illegal.json()["detail"]["allowed"]
    shown = client.get(f"/api/v1/cases/{number}", headers=headers).json()
    assert shown["state"] == "INVESTIGATING"
    assert [(e["event"], e["to_state"]) for e in shown["timeline"]] == [("opened", "OPEN"), ("moved", "INVESTIGATING")]
    with world.database.unit_of_work() as session:
        refusal = session.execute(select(AuditEntry).where(AuditEntry.action == "case.move.refused")).scalar_one()
    assert (refusal.object_id, refusal.actor) == (number, "a-admin")
    assert refusal.note == "a case cannot move from INVESTIGATING to CLOSED"


def test_a_closed_case_changes_only_by_reopening_which_is_recorded(client: TestClient, world: World) -> None:
    headers = _headers(world)
    number = _open(world, merchant_id=MERCHANT_A, amount="5.00")
    rejected = client.post(f"/api/v1/cases/{number}/close", json={"outcome": "REJECTED", "reason": "not ours"},
                           headers=headers)
    assert rejected.json()["state"] == "REJECTED"
    assert client.post(f"/api/v1/cases/{number}/notes", json={"text": "late"}, headers=headers).status_code == 409
    assert client.post(f"/api/v1/cases/{number}/reopen", json={}, headers=headers).status_code == 422  # no reason
    reopened = client.post(f"/api/v1/cases/{number}/reopen", json={"reason": "payer called back"}, headers=headers)
    assert reopened.json()["state"] == "INVESTIGATING"
    events = client.get(f"/api/v1/cases/{number}", headers=headers).json()["timeline"]
    assert events[-1] | {"at": None} == {"at": None, "actor": "a-admin", "event": "reopened", "from_state": "REJECTED",
                                         "to_state": "INVESTIGATING", "note": "payer called back", "data": None}


def test_owner_must_see_the_merchant_and_belong_to_the_tenant(client: TestClient, world: World) -> None:
    headers = _headers(world)
    number = _open(world, merchant_id=MERCHANT_A, amount="5.00")
    assert client.post(f"/api/v1/cases/{number}/assign", json={"username": "b-admin"},
                       headers=headers).status_code == 404
    assigned = client.post(f"/api/v1/cases/{number}/assign", json={"username": "a-merchant_finance"}, headers=headers)
    assert assigned.json()["owner"] == "a-merchant_finance"


def test_roles_limit_who_may_work_cases(client: TestClient, world: World) -> None:
    number = _open(world, merchant_id=MERCHANT_A, amount="5.00")
    answer = client.post(f"/api/v1/cases/{number}/move", json={"state": "INVESTIGATING"},
                         headers=_headers(world, "a-auditor"))
    assert answer.status_code == 403
    assert client.get(f"/api/v1/cases/{number}", headers=_headers(world, "a-auditor")).status_code == 200
    listed = client.get("/api/v1/cases", headers=_headers(world, "b-admin")).json()
    assert listed == []


def test_escalation_climbs_the_ladder_with_owner_roles_and_deadlines(world: World) -> None:
    number = _open(world, merchant_id=MERCHANT_A, amount="5.00")
    who = admin(world)
    now = utcnow()
    steps = []
    for _ in range(4):
        with world.database.unit_of_work() as session:
            case = escalate_case(session, who, number, "no answer", now)
            steps.append((case.rung, case.stage, case.owner_role, case.state, case.deadline_at - now))
    assert steps == [
        ("PROVIDER_SUPPORT", None, "provider_support", "ESCALATED", timedelta(days=3)),
        ("ACQUIRER", None, "acquirer_ops", "ESCALATED", timedelta(days=10)),
        ("SCHEME_DISPUTE", "RETRIEVAL", "acquirer_ops", "ESCALATED", timedelta(days=20)),
        ("SCHEME_DISPUTE", "CHARGEBACK", "acquirer_ops", "ESCALATED", timedelta(days=30)),
    ]


def test_a_merchant_role_may_not_open_a_scheme_dispute(world: World) -> None:
    number = _open(world, merchant_id=MERCHANT_A, amount="5.00")
    finance = principal(world.database, World.username("A", Role.MERCHANT_FINANCE))
    for _ in range(2):
        with world.database.unit_of_work() as session:
            escalate_case(session, finance, number, "no answer")
    with pytest.raises(Forbidden), world.database.unit_of_work() as session:
        escalate_case(session, finance, number, "chargeback please")


def test_ladder_is_configured_per_tenant_and_open_deadlines_follow(world: World) -> None:
    number = _open(world, merchant_id=MERCHANT_A, amount="5.00")
    opened_deadline = case_numbered(world.database, number).deadline_at
    with world.database.unit_of_work() as session:
        view = set_ladder(session, admin(world), {"days": {"MERCHANT": 5}, "on_overdue": {"MERCHANT": "ALERT"}})
    assert view["days"]["MERCHANT"] == 5  # type: ignore[index]
    assert case_numbered(world.database, number).deadline_at - opened_deadline == timedelta(days=3)
    with pytest.raises(InvalidInput), world.database.unit_of_work() as session:
        set_ladder(session, admin(world), {"days": {"MERCHANT": -1}})
    with world.database.unit_of_work() as session:
        other = open_case(session, admin(world, "B"), OpenRequest(merchant_id=MERCHANT_B, amount="1.00"))
        assert other.deadline_at - other.rung_started_at == timedelta(days=2)


def _apply(world: World, who: Principal, number: str, command: str) -> str | None:
    """Run one command; the refusal's message, or None when it was applied."""
    try:
        with world.database.unit_of_work() as session:
            if command == REOPEN:
                reopen_case(session, who, number, "again")
            else:
                move_case(session, who, number, command, "because")
    except RecoupError as error:
        return error.message
    return None


COMMANDS = st.lists(st.sampled_from([*CaseState, REOPEN]), min_size=1, max_size=12)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(commands=COMMANDS)
def test_random_commands_never_reach_an_illegal_state_and_every_change_is_recorded(
        world: World, commands: list[str]) -> None:
    number = _open(world, merchant_id=MERCHANT_A, amount="5.00")
    who = admin(world)
    state, applied = CaseState.OPEN, 0
    for command in commands:
        legal = (state in FINAL_STATES) if command == REOPEN else command in ALLOWED_TRANSITIONS[state]
        refused = _apply(world, who, number, command)
        assert refused is None if legal else refused is not None, (state, command, refused)
        if refused is not None:
            continue
        state = CaseState.INVESTIGATING if command == REOPEN else CaseState(command)
        applied += 1
    case = case_numbered(world.database, number)
    assert case.state == state
    with world.database.unit_of_work() as session:
        events = timeline(session, case.id)
        moved = session.execute(select(func.count()).select_from(CaseEvent).where(
            CaseEvent.case_id == case.id, CaseEvent.event.in_(["moved", "reopened"]))).scalar_one()
    assert moved == applied
    assert [e.to_state for e in events if e.to_state][-1] == state.value
