"""Code health found in review, each with what a user would notice if it broke:
- recovery.repository.has_unconfirmed: whether a refund or collection of a case still waits (cases asks it
  before a hand resolution without a reason);
- the worker tells a database that went away (by SQLAlchemy's disconnect detection and the driver's error
  classes) from one that refused a statement;
- the imports list counts each import's findings in one query, as the findings list counts them, and the
  audit entry of an import's run names the run and its counts (its days are on the run)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import errors as pg_errors
from sqlalchemy import create_engine, event, select, text, update
from sqlalchemy.exc import DBAPIError, OperationalError
from tests.reconciliation.test_web_jobs import _world_after_first_run
from tests.recovery.sale_world import SALE_RRN, sale_with_three_cases
from tests.support.factories import World, token_for

from recoup.audit.models import AuditEntry
from recoup.cases.models import Case
from recoup.cases.worker import _unreachable
from recoup.config import Settings
from recoup.reconciliation.inbox import FindingFilter, list_findings
from recoup.reconciliation.jobs_imports import findings_of_imports
from recoup.reconciliation.jobs_run import JOB_ACTION, reconcile_import_days
from recoup.reconciliation.jobs_scope import days_to_reconcile
from recoup.recovery.models import RecoveryAction
from recoup.recovery.repository import has_unconfirmed
from recoup.transactions.models import ImportBatch


def test_a_case_has_unconfirmed_actions_until_they_are_confirmed_or_failed(client: TestClient, world: World) -> None:
    cases = sale_with_three_cases(world).cases
    headers = {"Authorization": f"Bearer {token_for(world.database, 'a-admin')}", "Idempotency-Key": "waits-1"}
    refund = client.post(f"/api/v1/cases/{cases[0]}/actions", json={"kind": "REFUND", "amount": "796.00",
                                                                     "rrn": SALE_RRN}, headers=headers)
    assert refund.status_code == 201, refund.text
    with world.database.unit_of_work() as session:
        ids = dict(session.execute(select(Case.number, Case.id)).tuples().all())
        assert has_unconfirmed(session, ids[cases[0]]) is True  # INSTRUCTED: the bank has not confirmed it
        assert has_unconfirmed(session, ids[cases[2]]) is False  # no action at all
    for status, waits in [("PENDING", True), ("AWAITING_FUNDS", True), ("CONFIRMED", False), ("FAILED", False)]:
        with world.database.unit_of_work() as session:
            session.execute(update(RecoveryAction).values(status=status))
            assert has_unconfirmed(session, ids[cases[0]]) is waits, status


def _wrapped(cause: Exception, *, invalidated: bool = False) -> DBAPIError:
    return OperationalError("SELECT 1", {}, cause, connection_invalidated=invalidated)


@pytest.mark.parametrize(("cause", "gone"), [
    (psycopg.OperationalError("connection failed: Connection refused"), True),  # no server answered
    (pg_errors.AdminShutdown("terminating connection due to administrator command"), True),
    (pg_errors.CannotConnectNow("the database system is starting up"), True),
    (pg_errors.ConnectionFailure("connection failure"), True),
    (pg_errors.LockNotAvailable("could not obtain lock on row in relation \"cases\""), False),
    (pg_errors.QueryCanceled("canceling statement due to statement timeout on connection"), False),
    (pg_errors.UniqueViolation("duplicate key value violates unique constraint \"connection_key\""), False),
])
def test_the_worker_tells_a_database_gone_from_a_refused_statement(cause: Exception, gone: bool) -> None:
    assert _unreachable(_wrapped(cause)) is gone
    assert _unreachable(_wrapped(cause, invalidated=True)) is True  # the pool saw the connection die


def test_an_sqlite_file_that_cannot_be_opened_is_unreachable_a_locked_one_is_not(tmp_path: Path) -> None:
    with pytest.raises(sqlite3.OperationalError) as cannot_open:
        sqlite3.connect(tmp_path / "missing-folder" / "recoup.db")
    engine = create_engine(f"sqlite:///{tmp_path / 'recoup.db'}")
    assert _unreachable(_wrapped(cannot_open.value), engine.dialect) is True
    with engine.connect() as connection, pytest.raises(DBAPIError) as refused:
        connection.execute(text("SELECT * FROM no_such_table"))  # the database answered: no such table
    assert _unreachable(refused.value, engine.dialect) is False
    engine.dispose()


def test_imports_are_counted_in_one_query_as_the_findings_list_counts_them(world: World, settings: Settings,
                                                                           tmp_path: Path) -> None:
    who, late_batch = _world_after_first_run(world, settings, tmp_path)
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(world.database.engine, "before_cursor_execute", seen)
    try:
        with world.database.unit_of_work() as session:
            batches = list(session.execute(select(ImportBatch).order_by(ImportBatch.id)).scalars())
            statements.clear()
            shown = findings_of_imports(session, who, batches)
            on_findings = [s for s in statements if "FROM findings" in s]
            expected = {batch_id: list_findings(session, who, FindingFilter(
                merchant_id=found.days.merchant_id, date_from=found.days.date_from, date_to=found.days.date_to,
                limit=1))[0] for batch_id, found in shown.items()}
    finally:
        event.remove(world.database.engine, "before_cursor_execute", seen)
    assert len(shown) >= 3
    assert {batch_id: found.findings for batch_id, found in shown.items()} == expected
    assert any(count > 0 for count in expected.values())
    assert len(on_findings) == 1, on_findings
    with world.database.unit_of_work() as session:
        days = days_to_reconcile(session, who, late_batch)
        outcome = reconcile_import_days(session, who, days, datetime(2026, 10, 17, 12, tzinfo=UTC),
                                        lambda _phase, _label: None)
    with world.database.unit_of_work() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == JOB_ACTION)).scalar_one()
        assert (entry.object_id, entry.after) == (str(late_batch), {
            "run_id": outcome.run_id, "findings": outcome.findings, "new": sum(outcome.new_by_kind.values())})
