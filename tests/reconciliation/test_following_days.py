"""Issue 17: files arrive day by day, `reconcile --db --save` after each, and the cases follow the findings."""

from __future__ import annotations

import csv
import random
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.reconciliation.following_days import DAYS, MONEY_BACK_RRN, RRN, DayFiles, generate, write_days
from tests.support.factories import World
from tests.support.files import write_lines

from recoup.auth.models import User
from recoup.auth.principal import Principal
from recoup.auth.roles import Role
from recoup.auth.service import principal_for
from recoup.cases.models import Case, CaseAlert, CaseEvent
from recoup.cases.service import add_note
from recoup.config import Settings
from recoup.ledger.models import LedgerEntry, LedgerPosting
from recoup.ledger.service import verify_ledger
from recoup.reconciliation.db_run import DbReconcileSummary, reconcile_database
from recoup.reconciliation.db_source import DbScope
from recoup.reconciliation.service import reconcile_files
from recoup.transactions.importer import import_file
from recoup.transactions.layouts import JOURNAL_LAYOUT, ORDER_LAYOUT, SETTLEMENT_LAYOUT


def _admin(world: World) -> Principal:
    with world.database.unit_of_work() as session:
        user = session.execute(select(User).where(User.username == World.username("A", Role.ADMIN))).scalar_one()
        return principal_for(session, user, "test")


def _noon(when: date) -> datetime:
    return datetime(when.year, when.month, when.day, 12, tzinfo=UTC)  # 20:00 in Shanghai: after the day's files


def _import(world: World, who: Principal, settings: Settings, day: DayFiles) -> None:
    for kind, path in day.paths:
        with world.database.unit_of_work() as session:
            import_file(session, who, kind, path, settings)


def _reconcile(world: World, who: Principal, when: date, out: Path | None = None) -> DbReconcileSummary:
    return reconcile_database(world.database, who, DbScope(), out=out, save=True, now=_noon(when))


def _cases(world: World) -> dict[str, Case]:
    """Each story's case, by the RRN of its duplicate (or unsettled) sale."""
    with world.database.unit_of_work() as session:
        rows = session.execute(select(Case).where(Case.tenant_id == world.tenants["A"].id)).scalars().all()
        session.expunge_all()
    by_rrn = {case.rrn: case for case in rows}
    return {story: by_rrn[rrn] for story, rrn in RRN.items() if rrn in by_rrn}


def _counts(world: World) -> tuple[int, int]:
    with world.database.unit_of_work() as session:
        return (session.execute(select(func.count()).select_from(CaseEvent)).scalar_one(),
                session.execute(select(func.count()).select_from(CaseAlert)).scalar_one())


def _events(world: World, case: Case, event: str) -> list[CaseEvent]:
    with world.database.unit_of_work() as session:
        rows = session.execute(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.event == event)
                               .order_by(CaseEvent.id)).scalars().all()
        session.expunge_all()
        return list(rows)


def _booked(world: World, key: str) -> int:
    with world.database.unit_of_work() as session:
        return int(session.execute(select(func.sum(LedgerEntry.amount_minor)).join(
            LedgerPosting, LedgerPosting.id == LedgerEntry.posting_id).where(
            LedgerPosting.txn_key == key, LedgerEntry.amount_minor > 0)).scalar_one() or 0)


def _finding_ids(path: Path) -> set[str]:
    with path.open(encoding="utf-8") as handle:
        return {row["finding_id"] for row in csv.DictReader(handle)}


def _single_run(files: list[DayFiles], folder: Path, settings: Settings) -> set[str]:
    """The findings of one file reconciliation over every day's files at once."""
    merged: dict[str, list[str]] = {"orders": [], "journal": [], "settlement": []}
    for day in files:
        for kind, path in day.paths:
            merged[kind].extend(path.read_text(encoding="utf-8").splitlines()[1:])
    headers = {"orders": ORDER_LAYOUT, "journal": JOURNAL_LAYOUT, "settlement": SETTLEMENT_LAYOUT}
    paths = {kind: write_lines(folder / f"all-{kind}.csv", ",".join(headers[kind]), *lines)
             for kind, lines in merged.items()}
    out = folder / "single.csv"
    reconcile_files(paths["orders"], paths["journal"], paths["settlement"], None, out,
                    card_key=settings.card_key_bytes)
    return _finding_ids(out)


def test_days_in_order_resolve_update_leave_and_wait(world: World, settings: Settings, tmp_path: Path) -> None:
    who = _admin(world)
    days = write_days(generate(), tmp_path)
    summaries: dict[date, DbReconcileSummary] = {}
    for day in days[:2]:  # 10-15, 10-16
        _import(world, who, settings, day)
        summaries[day.when] = _reconcile(world, who, day.when)
        if day.when == DAYS[0]:
            with world.database.unit_of_work() as session:  # a person writes on the touched case
                add_note(session, who, _cases(world)["touched"].number, "called the customer", now=_noon(DAYS[0]))
    opened = summaries[DAYS[0]].cases or {}
    assert opened["opened"] == {"DUPLICATE_CHARGE": 3}
    second = summaries[DAYS[1]].cases or {}
    assert second["opened"] == {"DUPLICATE_CHARGE": 1, "UNSETTLED": 1}
    # 10-16: the touched refund is not settled yet, the reversal's sale now shows as debited but failed.
    assert second["not_judged"] == {"DUPLICATE_CHARGE": 1}

    _import(world, who, settings, days[2])  # 10-17: the late line, the reversal and touched refund settle
    third = _reconcile(world, who, DAYS[2])
    assert third.cases is not None
    assert third.cases["resolved"] == {"DUPLICATE_CHARGE": 1, "UNSETTLED": 1}
    assert third.cases["left"] == {"DUPLICATE_CHARGE": 1}
    assert third.cases["not_judged"] == {"DUPLICATE_CHARGE": 1}  # the refund of 10-17 has not settled
    cases = _cases(world)
    assert cases["late"].state == "RESOLVED"
    assert cases["late"].recovered_minor == 8800
    assert cases["reversal"].state == "RESOLVED"
    assert cases["touched"].state == "OPEN"
    assert cases["refund"].state == "OPEN"
    with world.database.unit_of_work() as session:
        alert = session.execute(select(CaseAlert).where(CaseAlert.case_id == cases["touched"].id)).scalar_one()
        assert alert.kind == "FINDING_GONE"
        assert MONEY_BACK_RRN["touched"] in alert.message

    _import(world, who, settings, days[3])  # 10-18: the example settles
    _reconcile(world, who, DAYS[3])
    refund = _cases(world)["refund"]
    assert refund.state == "RESOLVED"
    assert refund.recovered_minor == 13654 == _booked(world, f"{refund.terminal_id}:{MONEY_BACK_RRN['refund']}:REFUND")
    named = _events(world, refund, "resolved_by_file")
    assert len(named) == 1
    assert MONEY_BACK_RRN["refund"] in named[0].note
    assert "2026-10-17" in named[0].note
    assert "136.54" in named[0].note

    before = _counts(world)  # the same day's reconcile again changes nothing
    again = _reconcile(world, who, DAYS[3])
    assert _counts(world) == before
    assert again.cases is not None
    assert not any(again.cases[name] for name in ("resolved", "left", "reopened",
                                                                              "updated", "opened"))

    _import(world, who, settings, days[4])  # 10-19: the settlement of 10-18 is missing
    fifth = _reconcile(world, who, DAYS[4])
    assert fifth.cases is not None
    assert fifth.cases["not_judged"] == {"DUPLICATE_CHARGE": 1}
    assert _cases(world)["missing"].state == "OPEN"

    _import(world, who, settings, days[5])  # the held-back file, then the last one
    out = tmp_path / "final.csv"
    _reconcile(world, who, days[5].when, out)
    cases = _cases(world)
    assert {story: case.state for story, case in cases.items()} == {
        "refund": "RESOLVED", "late": "RESOLVED", "reversal": "RESOLVED", "touched": "OPEN", "missing": "RESOLVED"}
    for story in ("refund", "late", "reversal", "missing"):
        assert len(_events(world, cases[story], "resolved_by_file")) == 1, story
    assert _finding_ids(out) == _single_run(days, tmp_path, settings)
    _no_open_case_without_finding(world, _finding_ids(out))
    with world.database.unit_of_work() as session:
        verify_ledger(session, world.tenants["A"].id)


def _no_open_case_without_finding(world: World, final: set[str]) -> None:
    """Every case still being worked has a finding that holds, or was left (alerted) for a person."""
    from recoup.reconciliation.models import CaseFollowUp, StoredFinding

    with world.database.unit_of_work() as session:
        open_cases = session.execute(select(Case).where(Case.state.in_(("OPEN", "INVESTIGATING")))).scalars().all()
        left = set(session.execute(select(CaseFollowUp.case_id).where(CaseFollowUp.state == "LEFT")).scalars())
        for case in open_cases:
            ids = set(session.execute(select(StoredFinding.finding_id).where(StoredFinding.case_id == case.id))
                      .scalars())
            assert ids & final or case.id in left, case.number


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_days_out_of_order_and_twice_end_as_in_order(world: World, settings: Settings, tmp_path: Path) -> None:
    who = _admin(world)
    days = write_days(generate(), tmp_path)
    shuffled = days[:]
    random.Random(17).shuffle(shuffled)
    for day in shuffled:
        _import(world, who, settings, day)
        _import(world, who, settings, day)  # the same files again: already imported, nothing changes
        _reconcile(world, who, day.when)
    out = tmp_path / "final.csv"
    _reconcile(world, who, days[-1].when, out)
    before = _counts(world)
    _reconcile(world, who, days[-1].when)
    assert _counts(world) == before
    assert _finding_ids(out) == _single_run(days, tmp_path, settings)
    _no_open_case_without_finding(world, _finding_ids(out))
    # every story ends as in order (no note here: the touched one resolves too), with the same money back
    assert {story: (case.state, case.recovered_minor) for story, case in _cases(world).items()} == {
        "refund": ("RESOLVED", 13654), "late": ("RESOLVED", 8800), "reversal": ("RESOLVED", 9900),
        "touched": ("RESOLVED", 4200), "missing": ("RESOLVED", 6120)}
    with world.database.unit_of_work() as session:
        others = session.execute(select(Case.kind, Case.state, Case.recovered_minor)
                                 .where(Case.rrn.not_in(list(RRN.values())))).all()
        # a settlement line read before its journal opened a case; the journal closed it, nothing recovered
        assert {tuple(row) for row in others} <= {("UNKNOWN_SETTLEMENT", "RESOLVED", 0)}
        resolved_twice = session.execute(select(CaseEvent.case_id).where(CaseEvent.event == "resolved_by_file")
                                         .group_by(CaseEvent.case_id).having(func.count() > 1)).all()
        assert resolved_twice == []
        verify_ledger(session, world.tenants["A"].id)
