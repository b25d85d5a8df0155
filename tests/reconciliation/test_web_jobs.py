"""Reconciling an import's days in the background (issue 12): the same findings and cases as the CLI's run.

Both engines. The data are the generated days of issue 17 (tests/reconciliation/following_days.py): a
first run opens the cases of 10-15, then a late settlement line of 10-15 arrives and its
import is reconciled from the page's job, which must store and follow exactly what `recoup reconcile
--db --save --from 2026-10-15 --to 2026-10-15 --merchant M` (reconcile_database) does on the same data.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.reconciliation.following_days import DAYS, MERCHANT, generate, write_days
from tests.reconciliation.test_following_days import _admin
from tests.support.factories import World

from recoup.auth.principal import Principal
from recoup.cases.models import Case
from recoup.config import Settings
from recoup.errors import NotFound
from recoup.reconciliation.db_run import reconcile_database
from recoup.reconciliation.db_source import DbScope
from recoup.reconciliation.jobs import DONE, RUNNING, ReconcileBoard, ReconcileJob, RunUnderWay
from recoup.reconciliation.jobs_imports import findings_of_imports
from recoup.reconciliation.jobs_run import CHECKING, READING, SAVING, reconcile_import_days, steps_in_run
from recoup.reconciliation.jobs_scope import ImportDays, NothingToReconcile, days_to_reconcile
from recoup.reconciliation.models import CaseFollowUp, ReconciliationRun, StoredFinding
from recoup.transactions.importer import import_file
from recoup.transactions.models import ImportBatch

NOW = datetime(2026, 10, 17, 12, tzinfo=UTC)  # 20:00 in Shanghai, after the day's files


def _import(world: World, who: Principal, settings: Settings, kind: str, path: Path) -> int:
    with world.database.unit_of_work() as session:
        report = import_file(session, who, kind, path, settings)
    assert report.batch_id is not None
    return report.batch_id


def _world_after_first_run(world: World, settings: Settings, tmp_path: Path) -> tuple[Principal, int]:
    """The files of 10-15 and their settlement imported and reconciled (the 'late' sale unsettled); then
    its settlement line, delivered late on 10-17. Returns that last import."""
    who = _admin(world)
    days = write_days(generate(), tmp_path)
    for kind, path in [*days[0].paths, *(p for p in days[1].paths if p[0] == "settlement")]:
        _import(world, who, settings, kind, path)
    reconcile_database(world.database, who, DbScope(), out=None, save=True, now=datetime(2026, 10, 16, 12, tzinfo=UTC))
    late = [path for kind, path in days[2].paths if kind == "settlement" and "late" in path.name]
    return who, _import(world, who, settings, "settlement", late[0])


def _snapshot(session: Session, tenant_id: int) -> dict[str, object]:
    """What a run leaves that a person sees: findings and their cases, the cases, the follow-ups."""
    cases = {case.id: case for case in session.execute(select(Case).where(Case.tenant_id == tenant_id)).scalars()}
    findings = {(f.finding_id, f.kind, cases[f.case_id].number if f.case_id else None)
                for f in session.execute(select(StoredFinding).where(StoredFinding.tenant_id == tenant_id)).scalars()}
    follow_ups = {(cases[u.case_id].number, u.state) for u in session.execute(select(CaseFollowUp)).scalars()}
    shown = {(c.number, c.kind, c.state, c.at_stake_minor, c.recovered_minor) for c in cases.values()}
    return {"findings": findings, "cases": shown, "follow_ups": follow_ups}


def _non_zero(cases: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {outcome: {k: n for k, n in by_kind.items() if n} for outcome, by_kind in cases.items()
            if any(by_kind.values())}


def test_a_job_over_the_imported_days_stores_and_follows_what_the_cli_does(world: World, settings: Settings,
                                                                            tmp_path: Path) -> None:
    who, batch_id = _world_after_first_run(world, settings, tmp_path)
    with world.database.unit_of_work() as session:
        days = days_to_reconcile(session, who, batch_id)
    assert (days.merchant_ids, days.date_from, days.date_to) == ((MERCHANT,), DAYS[0], DAYS[0])
    assert days.findings_url() == f"/findings?date_from=2026-10-15&date_to=2026-10-15&merchant_id={MERCHANT}"

    told: list[tuple[str, str]] = []
    session = world.database.sessions()
    try:  # the job's run, looked at and rolled back: then the CLI's run on the very same data
        job = reconcile_import_days(session, who, days, NOW, lambda phase, step: told.append((phase, step)))
        session.flush()
        by_job = _snapshot(session, who.tenant_id)
    finally:
        session.rollback()
        session.close()
    by_cli_summary = reconcile_database(world.database, who, days.scope(), out=None, save=True, now=NOW)
    with world.database.unit_of_work() as session:
        by_cli = _snapshot(session, who.tenant_id)

    assert by_job == by_cli
    assert job.findings == by_cli_summary.total
    assert _non_zero(job.cases) == _non_zero(by_cli_summary.cases or {})
    assert job.cases["resolved"] == {"UNSETTLED": 1}  # the sale settled late: its case is resolved by the file
    # honest steps: reading first, every engine step, saving last; as many as the progress bar counts
    assert told[0] == (READING, "")
    assert told[-1] == (SAVING, "")
    assert {phase for phase, _ in told[1:-1]} == {CHECKING}
    assert len(told) == steps_in_run()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the run itself is checked on both above
def test_the_board_runs_one_job_per_tenant_and_only_its_owner_sees_it(world: World, settings: Settings,
                                                                       tmp_path: Path) -> None:
    who = _admin(world)
    journal = next(path for kind, path in write_days(generate(), tmp_path)[0].paths if kind == "journal")
    batch_id = _import(world, who, settings, "journal", journal)
    with world.database.unit_of_work() as session:
        days = days_to_reconcile(session, who, batch_id)
    board = ReconcileBoard()
    other = ReconcileJob("elsewhere", who.user_id + 1000, who.tenant_id, days)
    board.track(other)  # a colleague's run under way
    with pytest.raises(RunUnderWay):
        board.start(world.database, who, days, NOW)
    other.state = DONE

    job = board.start(world.database, who, days, NOW)
    assert board.start(world.database, who, days, NOW) is job or job.state != RUNNING  # a double click: one run
    deadline = time.monotonic() + 60
    while job.state == RUNNING:
        assert time.monotonic() < deadline, "the job never ended"
        time.sleep(0.05)
    assert job.state == DONE, job.error
    assert job.percent == 100
    assert job.outcome is not None
    with world.database.unit_of_work() as session:
        stored = session.execute(select(StoredFinding.kind).where(StoredFinding.run_id == job.outcome.run_id))
        assert sorted(job.outcome.new_by_kind) == sorted({kind for (kind,) in stored})
    assert board.get(job.id, who) is job
    with pytest.raises(NotFound):
        board.get(job.id, Principal(who.user_id + 1, "someone", who.tenant_id, who.role, frozenset()))


def test_an_import_that_brought_no_days_has_nothing_to_reconcile(world: World, settings: Settings,
                                                                  tmp_path: Path) -> None:
    who = _admin(world)
    registry = tmp_path / "terminals.csv"
    registry.write_text("terminal_id,merchant_id,model,location\n61027889,898301054111439,Landi E350,一楼\n",
                        encoding="utf-8")
    batch_id = _import(world, who, settings, "terminals", registry)
    with world.database.unit_of_work() as session, pytest.raises(NothingToReconcile):
        days_to_reconcile(session, who, batch_id)
    with world.database.unit_of_work() as session, pytest.raises(NotFound):
        days_to_reconcile(session, who, "999999")
    assert ImportDays(1, ("A", "B"), DAYS[0], DAYS[1]).merchant_id is None  # several merchants: all in scope


def test_any_saved_run_over_an_imports_days_marks_it_reconciled_whoever_started_it(
        world: World, settings: Settings, tmp_path: Path) -> None:
    who, late_batch = _world_after_first_run(world, settings, tmp_path)
    with world.database.unit_of_work() as session:
        batches = list(session.execute(select(ImportBatch).order_by(ImportBatch.id)).scalars())
        days = days_to_reconcile(session, who, late_batch)
    later = max(batch.imported_at for batch in batches) + timedelta(minutes=1)  # the imports used the wall clock

    def run_of(batch_id: int) -> int | None:
        with world.database.unit_of_work() as session:
            return findings_of_imports(session, who, batches)[batch_id].run_id

    assert run_of(late_batch) is None  # the first run was before it
    reconcile_database(world.database, who, DbScope(MERCHANT, DAYS[1], DAYS[1]), out=None, save=True, now=later)
    assert run_of(late_batch) is None  # 10-16 is not its day
    over_its_day = reconcile_database(world.database, who, days.scope(), out=None, save=True, now=later)
    assert run_of(late_batch) == over_its_day.run_id
    with world.database.unit_of_work() as session:
        run = session.get(ReconciliationRun, over_its_day.run_id)
        assert run is not None
        assert (run.over_stored, run.read_from, run.read_to, run.read_merchants) == (True, DAYS[0], DAYS[0],
                                                                                     [MERCHANT])
    everything = reconcile_database(world.database, who, DbScope(), out=None, save=True,
                                    now=later + timedelta(minutes=1))
    assert {run_of(batch.id) for batch in batches} == {everything.run_id}  # every day, every merchant
