"""A refund's statements (issue 15, load): a replay of an answered Idempotency-Key reads the key and the case
without locking the case, so it answers while another transaction holds the case; a new key still locks the
case and looks the key up again under the lock, so two first requests with one key refund once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, text
from tests.cases.test_case_world import admin, overcharge_case
from tests.support.factories import World, build_world
from tests.support.statements import counted

from recoup.audit.setup import AuditSetup
from recoup.config import Settings
from recoup.db import Database
from recoup.ledger.service import verify_ledger
from recoup.recovery import service
from recoup.recovery.models import RecoveryAction
from recoup.recovery.plans import ActionRequest
from recoup.recovery.provider import Instruction, Receipt, RecordingProvider
from recoup.recovery.service import Outcome, perform

FUNDS = 500000
REFUND = ActionRequest("refund", "10.00")


def _refund(world: World, number: str, key: str) -> Outcome:
    return perform(world.database, admin(world), number, REFUND, key)


def _refund_count(world: World) -> int:
    with world.database.unit_of_work() as session:
        return int(session.execute(select(func.count()).select_from(RecoveryAction)
                                   .where(RecoveryAction.kind == "REFUND")).scalar_one())


def test_a_replay_reads_the_key_and_the_case_and_locks_nothing(world: World) -> None:
    number = overcharge_case(world, fund_minor=FUNDS)
    first = _refund(world, number, "replay-1")
    who = admin(world)
    with counted(world.database) as seen:
        again = perform(world.database, who, number, REFUND, "replay-1")
    assert (again.replayed, again.action) == (True, first.action)
    assert len(seen) == 2, seen  # the key, then the case (the caller's scope and the request's fingerprint)
    assert not [statement for statement in seen if "FOR UPDATE" in statement or "BEGIN" in statement.upper()]


def test_a_first_refund_reads_the_webhook_endpoints_once_a_transaction_and_moves_balances_once_a_posting(
        world: World) -> None:
    number = overcharge_case(world, fund_minor=FUNDS)
    with counted(world.database) as seen:
        first = _refund(world, number, "first-1")
    assert first.action["state"] == "INSTRUCTED"
    endpoint_reads = [s for s in seen if s.lstrip().upper().startswith("SELECT") and "FROM webhook_endpoints" in s]
    balance_writes = [s for s in seen if s.lstrip().upper().startswith("INSERT INTO LEDGER_BALANCES")]
    postings = [s for s in seen if s.lstrip().upper().startswith("INSERT INTO LEDGER_POSTINGS")]
    # the action recorded and held (three events in one transaction), then instructed (one more in another)
    assert len(endpoint_reads) == 2, endpoint_reads
    assert len(postings) == 2  # the hold, then the money on its way out
    assert len(balance_writes) == len(postings)  # both balances each posting changes, in one statement
    with world.database.unit_of_work() as session:
        verify_ledger(session)  # every stored balance is still the sum of its lines


def test_a_replay_with_other_parameters_or_of_a_case_not_seen_is_refused_as_before(world: World) -> None:
    number = overcharge_case(world, fund_minor=FUNDS)
    _refund(world, number, "replay-2")
    with pytest.raises(Exception, match="already used for another request"):
        perform(world.database, admin(world), number, ActionRequest("refund", "11.00"), "replay-2")
    with pytest.raises(Exception, match="no case RC-2099-000001"):
        perform(world.database, admin(world), "RC-2099-000001", REFUND, "replay-2")
    with pytest.raises(Exception, match="idempotency key has 1 to 120"):
        perform(world.database, admin(world), number, REFUND, "with space")
    assert _refund_count(world) == 1


# --- on PostgreSQL: another transaction holds the case row locked ---------------------------------------------

@pytest.fixture
def pg_world(postgres_url: str, tmp_path: object) -> Iterator[World]:
    settings = Settings(database_url=postgres_url, var_dir=tmp_path / "var",  # type: ignore[operator]
                        secret_key="test-secret", card_token_key="test-card-key")
    database = Database(settings.resolved_database_url, audit=AuditSetup.from_settings(settings))
    yield build_world(database)
    database.dispose()


@contextmanager
def case_held(world: World, number: str) -> Iterator[None]:
    """The case's row locked by another transaction (as a note or assignment of it holds it) for the block."""
    with world.database.engine.connect() as connection:
        transaction = connection.begin()
        connection.execute(text("SELECT id FROM cases WHERE number = :number FOR UPDATE"), {"number": number})
        try:
            yield
        finally:
            transaction.rollback()


def _soon(future: Future[Outcome]) -> bool:
    time.sleep(0.5)
    return future.done()


def _in_thread(pool: ThreadPoolExecutor, work: Callable[[], Outcome]) -> Future[Outcome]:
    return pool.submit(work)


def test_a_replay_answers_while_another_transaction_holds_the_case(pg_world: World) -> None:
    number = overcharge_case(pg_world, fund_minor=FUNDS)
    first = _refund(pg_world, number, "held-1")
    with ThreadPoolExecutor(max_workers=1) as pool, case_held(pg_world, number):
        again = _in_thread(pool, lambda: _refund(pg_world, number, "held-1")).result(timeout=10)
    assert (again.replayed, again.action) == (True, first.action)


def test_a_new_key_waits_for_the_case_and_two_first_requests_with_one_key_refund_once(pg_world: World) -> None:
    number = overcharge_case(pg_world, fund_minor=FUNDS)
    with ThreadPoolExecutor(max_workers=2) as pool:
        with case_held(pg_world, number):
            both = [_in_thread(pool, lambda: _refund(pg_world, number, "held-2")) for _ in range(2)]
            assert not _soon(both[0])  # a first request takes the case's lock: it waits
            assert not both[1].done()
        outcomes = [future.result(timeout=30) for future in both]
    assert sorted(outcome.replayed for outcome in outcomes) == [False, True]
    assert outcomes[0].action == outcomes[1].action
    assert _refund_count(pg_world) == 1


class HeldProvider:
    """The recording provider's answer, given only once `release` is set; `reached` says it has the instruction."""

    name = "held"

    def __init__(self) -> None:
        self.reached, self.release = threading.Event(), threading.Event()

    def execute(self, instruction: Instruction) -> Receipt:
        self.reached.set()
        assert self.release.wait(10)
        return RecordingProvider().execute(instruction)


def test_a_repeat_while_the_first_is_at_the_provider_looks_again_soon_then_less_often(
        pg_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    number = overcharge_case(pg_world, fund_minor=FUNDS)
    held, waits = HeldProvider(), []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 8:
            held.release.set()
        time.sleep(seconds)

    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(lambda: perform(pg_world.database, admin(pg_world), number, REFUND, "held-3",
                                            provider=held))
        assert held.reached.wait(10)
        monkeypatch.setattr(service, "time", SimpleNamespace(sleep=sleep, monotonic=time.monotonic))
        again = perform(pg_world.database, admin(pg_world), number, REFUND, "held-3", provider=held)
        done = first.result(timeout=10)
    assert (again.replayed, again.action) == (True, done.action)
    assert waits[:7] == [0.002, 0.004, 0.008, 0.016, 0.032, 0.05, 0.05]  # soon, then every 50 ms
    assert _refund_count(pg_world) == 1
