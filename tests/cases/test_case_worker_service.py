"""The worker escalates or alerts each overdue case exactly once, per the tenant's ladder."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select
from tests.cases.test_case_world import MERCHANT_A, admin, case_numbered
from tests.support.cli import run_cli
from tests.support.factories import World

from recoup.cases.ladder_settings import set_ladder
from recoup.cases.models import CaseAlert, CaseEvent
from recoup.cases.opening import OpenRequest, open_case
from recoup.cases.service import escalate_case, move_case
from recoup.cases.worker import run_pass
from recoup.db import utcnow


def _open(world: World) -> str:
    with world.database.unit_of_work() as session:
        return open_case(session, admin(world), OpenRequest(merchant_id=MERCHANT_A, amount="5.00")).number


def _count(world: World, model: type[CaseEvent] | type[CaseAlert], **where: str) -> int:
    with world.database.unit_of_work() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(session.execute(query).scalar_one())


def test_an_overdue_case_is_escalated_once(world: World) -> None:
    number = _open(world)
    later = utcnow() + timedelta(days=2, hours=1)
    assert run_pass(world.database, later).escalated == 1
    assert run_pass(world.database, later).escalated == 0
    assert run_pass(world.database, later + timedelta(days=1)).escalated == 0  # provider support has 3 days
    case = case_numbered(world.database, number)
    assert (case.rung, case.state, case.owner_role) == ("PROVIDER_SUPPORT", "ESCALATED", "provider_support")
    assert case.deadline_at == later + timedelta(days=3)
    assert _count(world, CaseEvent, event="escalated") == 1
    assert run_pass(world.database, later + timedelta(days=3, hours=1)).escalated == 1
    assert case_numbered(world.database, number).rung == "ACQUIRER"


def test_a_tenant_that_alerts_instead_gets_one_alert_per_deadline(world: World) -> None:
    with world.database.unit_of_work() as session:
        set_ladder(session, admin(world), {"on_overdue": {"MERCHANT": "ALERT", "PROVIDER_SUPPORT": "ALERT"}})
    number = _open(world)
    later = utcnow() + timedelta(days=3)
    reports = [run_pass(world.database, later + timedelta(hours=hour)) for hour in range(3)]
    assert [r.alerted for r in reports] == [1, 0, 0]
    assert case_numbered(world.database, number).rung == "MERCHANT"
    with world.database.unit_of_work() as session:
        escalate_case(session, admin(world), number, "called support", later)
    assert run_pass(world.database, later + timedelta(days=2)).alerted == 0
    assert run_pass(world.database, later + timedelta(days=3, hours=1)).alerted == 1
    assert _count(world, CaseAlert, kind="DEADLINE_PASSED") == 2


def test_two_workers_at_once_escalate_once(world: World) -> None:
    _open(world)
    later = utcnow() + timedelta(days=2, hours=1)
    reports = []
    workers = [threading.Thread(target=lambda: reports.append(run_pass(world.database, later))) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sum(r.escalated for r in reports) == 1
    assert _count(world, CaseEvent, event="escalated") == 1


def test_resolved_and_closed_cases_are_left_alone(world: World) -> None:
    number = _open(world)
    with world.database.unit_of_work() as session:
        move_case(session, admin(world), number, "REJECTED", "duplicate report")
    assert run_pass(world.database, utcnow() + timedelta(days=30)).escalated == 0
    assert case_numbered(world.database, number).rung == "MERCHANT"


def test_worker_once_from_the_command_line(world: World, database_url: str) -> None:
    _open(world)
    done = run_cli(["worker", "--once"], database_url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("worker pass: 0 escalated")


def test_each_of_several_overdue_cases_is_handled_exactly_once(world: World) -> None:
    with world.database.unit_of_work() as session:
        set_ladder(session, admin(world), {"on_overdue": {"PROVIDER_SUPPORT": "ALERT"}})
    started = utcnow() - timedelta(days=6)
    numbers = []
    for _ in range(3):
        with world.database.unit_of_work() as session:
            numbers.append(open_case(session, admin(world), OpenRequest(merchant_id=MERCHANT_A, amount="5.00"),
                                     started).number)
    with world.database.unit_of_work() as session:  # one of them climbed to provider support by hand
        escalate_case(session, admin(world), numbers[2], "called support", started)
    fresh = _open(world)  # not overdue
    now = utcnow()
    reports = [run_pass(world.database, now + timedelta(minutes=minute)) for minute in range(3)]
    assert [(r.escalated, r.alerted) for r in reports] == [(2, 1), (0, 0), (0, 0)]
    rungs = [case_numbered(world.database, number).rung for number in [*numbers, fresh]]
    assert rungs == ["PROVIDER_SUPPORT", "PROVIDER_SUPPORT", "PROVIDER_SUPPORT", "MERCHANT"]
    assert _count(world, CaseEvent, event="escalated") == 3  # two by the worker, one by hand
    assert _count(world, CaseAlert, kind="DEADLINE_PASSED") == 1
