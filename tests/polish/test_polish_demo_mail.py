"""The demo's users have e-mail addresses on a reserved domain (RFC 2606 `.example`), so the scheduled report
mails of a demo have someone to go to: the schedule list (CLI and page) counts them as recipients."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.support.cli import run_in_process
from tests.support.factories import OBJECTS, World
from tests.support.web_login import log_in

from recoup.auth.models import User
from recoup.auth.service import principal_for
from recoup.demo.loader import DEMO_PASSWORD, DEMO_USERS, add_demo_users
from recoup.reports.models import ReportSchedule
from recoup.reports.schedule_rules import Frequency
from recoup.reports.schedules import recipients, set_schedule

NOW = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)
MERCHANT_A = OBJECTS["A"][0]


def _demo_users_with_schedules(world: World) -> None:
    """The demo's users in tenants A (as ACQ-EAST) and B; the tenant's daily and merchant A's weekly report."""
    with world.database.unit_of_work() as session:
        add_demo_users(session, {"ACQ-EAST": world.tenants["A"], "ACQ-NORTH": world.tenants["B"]},
                       {"ACQ-EAST": [MERCHANT_A]})
        admin = principal_for(session, session.execute(select(User).where(User.username == "admin")).scalar_one(),
                              "test")
        set_schedule(session, admin, None, Frequency.DAILY, (8, 0), None, NOW)
        set_schedule(session, admin, MERCHANT_A, Frequency.WEEKLY, (7, 30), 0, NOW)


def test_every_demo_user_has_a_reserved_address_and_the_schedules_reach_them(
        world: World, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        client: TestClient) -> None:
    _demo_users_with_schedules(world)
    with world.database.unit_of_work() as session:
        emails = dict(session.execute(select(User.username, User.email).where(
            User.username.in_([name for name, *_ in DEMO_USERS]))).tuples().all())
        schedules = {s.scope: s for s in session.execute(select(ReportSchedule)).scalars()}
        to_tenant = [r.email for r in recipients(session, schedules[""])]
        to_merchant = [r.email for r in recipients(session, schedules[MERCHANT_A])]
    assert emails == {name: f"{name}@demo.recoup.example" for name, *_ in DEMO_USERS}
    assert to_tenant == ["acquirer@demo.recoup.example", "support@demo.recoup.example"]
    assert to_merchant == ["finance@demo.recoup.example"]
    ran = run_in_process(["report", "schedule", "list"], database_url, monkeypatch, capsys, user="admin")
    assert ran.code == 0, ran.err
    lines = {line.split("\t")[0].split(" ")[0]: line for line in ran.out.splitlines()}
    assert "2 recipient(s)" in lines["tenant"]
    assert "1 recipient(s)" in lines[MERCHANT_A]
    log_in(client, "admin", password=DEMO_PASSWORD, locale="en", page="/reports/schedules")
    page = client.get("/reports/schedules").text
    shown = [cell.split("</td>")[0] for cell in page.split('data-testid="schedule-recipients">')[1:]]
    assert len(shown) == 2
    assert all("no recipient" not in cell.lower() and "recipient" in cell for cell in shown), shown
