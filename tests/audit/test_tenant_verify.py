"""Issue 10, defect 14b: `GET /api/v1/audit/verify` reports only what the caller may see: their tenant's
entry count, and whether the trail holds; a break is named only when it is one of their own entries."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from tests.support.factories import World, token_for

from recoup.audit.models import AuditEntry
from recoup.audit.service import Actor, record


def own_entries(world: World, tenant: str) -> int:
    with world.database.unit_of_work() as session:
        return session.execute(select(func.count()).select_from(AuditEntry)
                               .where(AuditEntry.tenant_id == world.tenants[tenant].id)).scalar_one()


def verify_as(client: TestClient, world: World, username: str) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {token_for(world.database, username)}"}
    answer = client.get("/api/v1/audit/verify", headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert isinstance(body, dict)
    return body


def test_each_tenant_sees_its_own_count_and_only_its_own_break(world: World, client: TestClient) -> None:
    tenant_b = world.tenants["B"].id
    with world.database.unit_of_work() as session:
        for i in range(7):
            record(session, Actor("b-admin", tenant_b, "test"), "thing.change", "thing", str(i))
        own_b_seq = record(session, Actor("b-admin", tenant_b, "test"), "thing.change", "thing", "x").seq
    a_view, b_view = verify_as(client, world, "a-admin"), verify_as(client, world, "b-auditor")
    with world.database.unit_of_work() as session:
        everyone = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    assert a_view["entries"] == own_entries(world, "A") < everyone
    assert b_view["entries"] == own_entries(world, "B") < everyone
    assert a_view["ok"] is True
    assert b_view["ok"] is True
    with world.database.engine.begin() as conn:
        conn.execute(text("UPDATE audit_entries SET note = 'edited' WHERE seq = :seq"), {"seq": own_b_seq})
    a_view, b_view = verify_as(client, world, "a-admin"), verify_as(client, world, "b-auditor")
    assert (b_view["ok"], b_view["first_bad_entry"]) == (False, own_b_seq)
    assert "altered" in str(b_view["reason"])
    assert (a_view["ok"], a_view["first_bad_entry"]) == (False, None)
    assert str(own_b_seq) not in str(a_view["reason"])
    assert "recoup audit verify" in str(a_view["reason"])
