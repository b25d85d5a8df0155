"""A new or overdue complaint reaches a person: the alert list with its badge, and e-mail, scoped like a case's."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.complaints.complaint_world import FILED_AT, file_complaint, staff
from tests.support.factories import FACTORY, PASSWORD, World, token_for

from recoup.auth.models import User
from recoup.auth.roles import Role
from recoup.auth.service import add_user, principal_for
from recoup.complaints.deadlines import complaint_pass
from recoup.config import Settings
from recoup.merchants.models import Merchant
from recoup.messaging.alerts import alerts_for, unread_count
from recoup.messaging.models import OutboxMessage

OTHER_MERCHANT = "898301054119998"


def test_a_new_complaint_alerts_its_merchants_staff_only_and_is_emailed(world: World, settings: Settings,
                                                                        client: TestClient) -> None:
    finance = World.username("A", Role.MERCHANT_FINANCE)
    with world.database.unit_of_work() as session:
        session.execute(update(User).where(User.username == finance).values(email="finance@example.com"))
        session.add(Merchant(merchant_id=OTHER_MERCHANT, tenant_id=world.tenants["A"].id, name="另一家", mcc="5812"))
        session.flush()
        add_user(session, FACTORY, tenant=world.tenants["A"], username="other-finance", password=PASSWORD,
                 role=Role.MERCHANT_FINANCE, merchant_ids=[OTHER_MERCHANT])
    filed = file_complaint(world, settings)
    with world.database.unit_of_work() as session:
        mine = alerts_for(session, staff(world))
        assert [(a.kind, a.complaint_id, a.case_number, a.read) for a in mine] == [
            ("NEW_COMPLAINT", filed.complaint.id, "", False)]
        assert unread_count(session, staff(world)) == 1
        other = session.execute(select(User).where(User.username == "other-finance")).scalar_one()
        assert alerts_for(session, principal_for(session, other, "test")) == []  # another merchant's staff
        assert alerts_for(session, staff(world, "B")) == []  # another tenant
        mails = session.execute(select(OutboxMessage).where(OutboxMessage.complaint_id == filed.complaint.id,
                                                            OutboxMessage.purpose == "alert")).scalars().all()
        assert len(mails) == 1
        assert f"/complaints/{filed.complaint.id}" in mails[0].body
    listed = client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {token_for(world.database, finance)}"})
    assert listed.json()["unread"] == 1
    assert listed.json()["alerts"][0]["complaint"] == filed.complaint.id
    assert listed.json()["alerts"][0]["case"] is None


def test_an_overdue_complaint_without_a_case_alerts_the_rung_it_escalates_to(world: World,
                                                                             settings: Settings) -> None:
    filed = file_complaint(world, settings)
    assert complaint_pass(world.database, FILED_AT + timedelta(days=2, minutes=1)) == 1
    with world.database.unit_of_work() as session:
        support = alerts_for(session, staff(world, "A", Role.PROVIDER_SUPPORT))
        assert [(a.kind, a.complaint_id) for a in support] == [("COMPLAINT_OVERDUE", filed.complaint.id)]
