"""Issue 17 at the service level: a saved run over the stored data brings earlier cases up to date.

The runs here are `save_findings(..., in_scope=...)` with findings written by hand, over stored lines
written by hand (tests.cases.test_case_world), so each rule is seen alone and fast.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from tests.cases.test_case_world import MERCHANT_A, WHEN, Finding, add_sale, admin, journal_line, settle
from tests.support.factories import World

from recoup.cases.models import Case, CaseAlert, CaseEvent
from recoup.cases.service import add_note, assign_case
from recoup.reconciliation.models import RunFollowSummary
from recoup.reconciliation.store import SaveReport, save_findings

DAY = datetime(2026, 10, 14, 12, tzinfo=UTC)
SALE, REFUND = "600000000001", "600000000009"


def _run(world: World, findings: list[Finding], now: datetime, in_scope: bool = True) -> SaveReport:
    with world.database.unit_of_work() as session:
        return save_findings(session, admin(world), findings, now, in_scope=lambda _: in_scope)


def _dup(charged: int = 13654) -> Finding:
    return Finding("DUPLICATE_CHARGE", MERCHANT_A, SALE, charged, 0, related_rrn="600000000000")


def _case(world: World) -> Case:
    with world.database.unit_of_work() as session:
        case = session.execute(select(Case).where(Case.rrn == SALE)).scalar_one()
        session.expunge(case)
        return case


def _tally(world: World) -> tuple[int, int]:
    with world.database.unit_of_work() as session:
        return (session.execute(select(func.count()).select_from(CaseEvent)).scalar_one(),
                session.execute(select(func.count()).select_from(CaseAlert)).scalar_one())


def _stored_sale_and_refund(world: World, *, refund_settled: bool) -> None:
    with world.database.unit_of_work() as session:
        tenant = world.tenants["A"].id
        add_sale(session, tenant, SALE, 13654)
        journal_line(session, tenant, "REFUND", REFUND, 13654, orig_rrn=SALE)
        if refund_settled:
            settle(session, tenant, "REFUND", REFUND, 13654)


def test_a_refund_seen_settled_resolves_the_case_once_with_the_ledger_amount(world: World) -> None:
    _stored_sale_and_refund(world, refund_settled=True)
    first = _run(world, [_dup()], DAY)
    assert first.follow.as_dict()["opened"] == {"DUPLICATE_CHARGE": 1}
    gone = _run(world, [], DAY + timedelta(days=1))
    assert gone.follow.as_dict()["resolved"] == {"DUPLICATE_CHARGE": 1}
    assert "1 resolved by later files" in gone.summary()
    case = _case(world)
    assert (case.state, case.recovered_minor) == ("RESOLVED", 13654)
    with world.database.unit_of_work() as session:
        notes = session.execute(select(CaseEvent.note).where(CaseEvent.case_id == case.id,
                                                             CaseEvent.event == "resolved_by_file")).scalars().all()
        stored = session.execute(select(RunFollowSummary.counts).where(RunFollowSummary.run_id == gone.run_id))
        assert stored.scalar_one()["resolved"] == {"DUPLICATE_CHARGE": 1}
    assert len(notes) == 1
    assert REFUND in notes[0]
    assert "136.54" in notes[0]
    assert f"run {gone.run_id}" in notes[0]
    tally = _tally(world)
    _run(world, [], DAY + timedelta(days=2))  # the same again: nothing resolved twice
    assert _tally(world) == tally


def test_a_refund_not_settled_yet_is_not_judged(world: World) -> None:
    _stored_sale_and_refund(world, refund_settled=False)
    _run(world, [_dup()], DAY)
    report = _run(world, [], DAY + timedelta(days=1))
    assert report.follow.as_dict()["not_judged"] == {"DUPLICATE_CHARGE": 1}
    assert _case(world).state == "OPEN"


def test_out_of_scope_findings_leave_their_cases_alone(world: World) -> None:
    _stored_sale_and_refund(world, refund_settled=True)
    _run(world, [_dup()], DAY)
    report = _run(world, [], DAY + timedelta(days=1), in_scope=False)
    assert not any(report.follow.as_dict()[name] for name in ("resolved", "left", "not_judged"))
    assert _case(world).state == "OPEN"


def test_a_case_a_person_works_is_left_and_its_owner_alerted_once(world: World) -> None:
    _stored_sale_and_refund(world, refund_settled=True)
    _run(world, [_dup()], DAY)
    with world.database.unit_of_work() as session:
        assign_case(session, admin(world), _case(world).number, World.username("A", admin(world).role), now=DAY)
    report = _run(world, [], DAY + timedelta(days=1))
    assert report.follow.as_dict()["left"] == {"DUPLICATE_CHARGE": 1}
    case = _case(world)
    assert case.state == "OPEN"
    with world.database.unit_of_work() as session:
        alerts = session.execute(select(CaseAlert).where(CaseAlert.case_id == case.id)).scalars().all()
        assert [(a.kind, a.owner) for a in alerts] == [("FINDING_GONE", case.owner)]
        assert REFUND in alerts[0].message
        assert "owns the case" in alerts[0].message
    tally = _tally(world)
    _run(world, [], DAY + timedelta(days=2))
    assert _tally(world) == tally


def test_an_old_note_does_not_count_a_recent_one_does(world: World) -> None:
    _stored_sale_and_refund(world, refund_settled=True)
    _run(world, [_dup()], DAY)
    with world.database.unit_of_work() as session:
        add_note(session, admin(world), _case(world).number, "called the customer", now=DAY - timedelta(days=30))
    assert _run(world, [], DAY + timedelta(days=1)).follow.as_dict()["resolved"] == {"DUPLICATE_CHARGE": 1}


def test_recent_note_leaves_the_case(world: World) -> None:
    _stored_sale_and_refund(world, refund_settled=True)
    _run(world, [_dup()], DAY)
    with world.database.unit_of_work() as session:
        add_note(session, admin(world), _case(world).number, "called the customer", now=DAY)
    report = _run(world, [], DAY + timedelta(days=1))
    assert report.follow.as_dict()["left"] == {"DUPLICATE_CHARGE": 1}
    assert _case(world).state == "OPEN"


def test_amount_changes_follow_and_a_growth_alerts(world: World) -> None:
    with world.database.unit_of_work() as session:
        add_sale(session, world.tenants["A"].id, SALE, 20000)
    over = Finding("OVERCHARGE", MERCHANT_A, SALE, 20000, 12800, order_no="NO1")
    _run(world, [over], DAY)
    assert _case(world).at_stake_minor == 7200
    smaller = Finding("OVERCHARGE", MERCHANT_A, SALE, 18000, 12800, order_no="NO1")
    report = _run(world, [smaller], DAY + timedelta(days=1))
    assert report.follow.as_dict()["updated"] == {"OVERCHARGE": 1}
    assert _case(world).at_stake_minor == 5200
    assert _tally(world)[1] == 0  # it shrank: nobody is alerted
    bigger = Finding("OVERCHARGE", MERCHANT_A, SALE, 21000, 12800, order_no="NO1")
    _run(world, [bigger], DAY + timedelta(days=2))
    case = _case(world)
    assert case.at_stake_minor == 8200
    with world.database.unit_of_work() as session:
        kinds = session.execute(select(CaseAlert.kind).where(CaseAlert.case_id == case.id)).scalars().all()
        changes = session.execute(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                          CaseEvent.event == "amount_changed")).scalars().all()
    assert kinds == ["AMOUNT_GREW"]
    assert [(e.data or {}).get("at_stake_minor_after") for e in changes] == [5200, 8200]
    tally = _tally(world)
    _run(world, [bigger], DAY + timedelta(days=3))  # the same amount again: no second entry
    assert _tally(world) == tally


def test_a_finding_that_comes_back_reopens_its_resolved_case(world: World) -> None:
    _stored_sale_and_refund(world, refund_settled=True)
    _run(world, [_dup()], DAY)
    _run(world, [], DAY + timedelta(days=1))
    assert _case(world).state == "RESOLVED"
    back = _run(world, [_dup()], DAY + timedelta(days=2))
    assert back.follow.as_dict()["reopened"] == {"DUPLICATE_CHARGE": 1}
    case = _case(world)
    assert (case.state, case.recovered_minor) == ("INVESTIGATING", 0)
    with world.database.unit_of_work() as session:
        events = session.execute(select(CaseEvent.event).where(CaseEvent.case_id == case.id)
                                 .order_by(CaseEvent.id)).scalars().all()
    assert events[-1] == "reopened"
    tally = _tally(world)
    _run(world, [_dup()], DAY + timedelta(days=3))
    assert _tally(world) == tally
    # gone again: resolved again, by the same line
    assert _run(world, [], DAY + timedelta(days=4)).follow.as_dict()["resolved"] == {"DUPLICATE_CHARGE": 1}


def test_gone_without_a_line_that_explains_it_is_left_for_a_person(world: World) -> None:
    with world.database.unit_of_work() as session:
        add_sale(session, world.tenants["A"].id, SALE, 13654)
    _run(world, [_dup()], DAY)
    report = _run(world, [], DAY + timedelta(days=1))
    assert report.follow.as_dict()["left"] == {"DUPLICATE_CHARGE": 1}
    assert WHEN < DAY


def test_a_run_killed_half_way_leaves_nothing_and_the_next_run_does_it_all(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    _stored_sale_and_refund(world, refund_settled=True)
    _run(world, [_dup()], DAY)
    tally = _tally(world)

    def killed(*_: object) -> None:
        raise RuntimeError("killed")

    with monkeypatch.context() as patched:
        patched.setattr("recoup.cases.following._mark", killed)  # after the case moved, before the mark
        with pytest.raises(RuntimeError):
            _run(world, [], DAY + timedelta(days=1))
    assert _tally(world) == tally
    assert _case(world).state == "OPEN"
    assert _run(world, [], DAY + timedelta(days=1)).follow.as_dict()["resolved"] == {"DUPLICATE_CHARGE": 1}
    with world.database.unit_of_work() as session:
        runs = session.execute(select(func.count()).select_from(RunFollowSummary)).scalar_one()
    assert runs == 2  # the killed run left no trace
