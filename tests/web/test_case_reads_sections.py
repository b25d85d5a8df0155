"""The case page asks in one statement whether the case has files, messages, complaints, disputes and alerts
(cases.repository.case_facts) and reads only those it has (issue 15, third round): each appears on the page (or
in the JSON) as soon as the case has one, and the page reads none of their tables while it has none."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import event, select, update
from tests.auth.logins import web_login
from tests.cases.test_case_world import admin
from tests.complaints.complaint_world import file_complaint
from tests.disputes.dispute_world import add_evidence, ops, sale_case
from tests.support.factories import World, token_for

from recoup.cases.models import Case, CaseAlert
from recoup.complaints.models import Complaint
from recoup.config import Settings
from recoup.db import utcnow
from recoup.disputes.service import OpenRequest, open_dispute
from recoup.messaging.service import MessageRequest, send_message

SECTION_TABLES = ("evidence_items", "outbox_messages", "complaints", "disputes", "case_alerts")


def _page(world: World, client: TestClient, number: str) -> tuple[str, list[str]]:
    """The case page's text and the tables its statements read FROM (a flag's EXISTS is in the facts statement)."""
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(world.database.engine, "before_cursor_execute", note)
    try:
        answer = client.get(f"/cases/{number}")
    finally:
        event.remove(world.database.engine, "before_cursor_execute", note)
    assert answer.status_code == 200
    read = [table for table in SECTION_TABLES
            if any(s.startswith("SELECT ") and f"FROM {table} " in s and "EXISTS" not in s for s in seen)]
    return answer.text, read


def test_each_section_shows_its_rows_once_the_case_has_them(world: World, client: TestClient,
                                                            settings: Settings) -> None:
    number = sale_case(world)
    assert web_login(client) == 303
    client.get(f"/cases/{number}")  # the session's first use is noted, the tenant's schemes seeded
    text, read = _page(world, client, number)
    assert read == []  # none of the sections' tables is read for a case without any of their rows
    assert "receipt.png" not in text
    assert 'data-testid="case-complaints"' not in text

    add_evidence(world, number, "receipt", "receipt.png")
    text, read = _page(world, client, number)
    assert "receipt.png" in text
    assert read == ["evidence_items"]

    with world.database.unit_of_work() as session:
        send_message(session, admin(world), settings, number, MessageRequest("apology", "email", "payer@example.com"),
                     utcnow())
    text, read = _page(world, client, number)
    assert "p***@example.com" in text
    assert read == ["evidence_items", "outbox_messages"]

    with world.database.unit_of_work() as session:
        dispute_id = open_dispute(session, ops(world), number,
                                  OpenRequest("unionpay", "chargeback", "4507", "12.00", "CB-1"), utcnow()).id
    text, read = _page(world, client, number)
    assert f'href="/disputes/{dispute_id}"' in text
    assert read == ["evidence_items", "outbox_messages", "disputes"]

    complaint_id = file_complaint(world, settings).complaint.id
    with world.database.unit_of_work() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        session.execute(update(Complaint).where(Complaint.id == complaint_id).values(case_id=case.id))
        session.add(CaseAlert(tenant_id=case.tenant_id, case_id=case.id, kind="DEADLINE", message="past due"))
    text, read = _page(world, client, number)
    assert f'href="/complaints/{complaint_id}"' in text
    assert read == ["evidence_items", "outbox_messages", "complaints", "disputes", "case_alerts"]
    api = {"Authorization": f"Bearer {token_for(world.database, 'a-admin')}"}
    alerts = client.get(f"/api/v1/cases/{number}", headers=api).json()["alerts"]
    assert [alert["message"] for alert in alerts] == ["past due"]
