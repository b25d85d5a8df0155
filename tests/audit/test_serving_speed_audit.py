"""Issue 15: audit entries are chained at commit, so the head's lock is held for milliseconds, not for
the whole transaction. Writers no longer queue behind a slow one, the chain stays exactly verifiable when
many write at once, and what a rolled-back savepoint or transaction recorded never reaches the trail."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recoup.audit.models import AuditEntry
from recoup.audit.service import Actor, AuditDraft, record, record_many, verify
from recoup.auth.models import Tenant
from recoup.db import Database

ACTOR = Actor("racer", None, "test")


def _objects(database: Database, action: str) -> list[str]:
    with database.unit_of_work() as session:
        return list(session.execute(select(AuditEntry.object_id).where(AuditEntry.action == action)
                                    .order_by(AuditEntry.seq)).scalars())


def _intact(database: Database) -> int:
    with database.unit_of_work() as session:
        count, found = verify(session)
        last = session.execute(select(func.max(AuditEntry.seq))).scalar_one()
    assert found is None, found
    assert count == (last or 0)  # every sequence number from 1 on is there
    return count


def test_a_slow_writer_does_not_hold_up_the_others(database: Database) -> None:
    """One transaction records and then stays open; another records and commits meanwhile (before issue 15
    it waited for the first one's commit on PostgreSQL). Both entries end on the trail, chained in commit order."""
    recorded, release = threading.Event(), threading.Event()

    def slow() -> None:
        with database.unit_of_work() as session:
            record(session, ACTOR, "slow.write", "thing", "slow")
            recorded.set()
            assert release.wait(30)

    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(slow)
        assert recorded.wait(30)
        quick = in_thread(lambda: _write(database, "quick"))
        assert quick.wait(20), "a writer waited for another transaction's commit"
        release.set()
        waiting.result(30)
    assert _objects(database, "quick.write") == ["quick"]
    assert _objects(database, "slow.write") == ["slow"]
    with database.unit_of_work() as session:
        order = list(session.execute(select(AuditEntry.object_id).where(AuditEntry.object_type == "thing")
                                     .order_by(AuditEntry.seq)).scalars())
    assert order == ["quick", "slow"]
    _intact(database)


def _write(database: Database, name: str) -> None:
    with database.unit_of_work() as session:
        record(session, ACTOR, "quick.write", "thing", name)


def in_thread(work: Callable[[], None]) -> threading.Event:
    """Run `work` in a thread of its own; the event is set once it returned."""
    done = threading.Event()

    def run() -> None:
        work()
        done.set()

    threading.Thread(target=run, daemon=True).start()
    return done


WRITERS, ROUNDS = 6, 8


def test_many_writers_at_once_leave_an_intact_chain_with_every_entry(database: Database) -> None:
    """Six threads, each in eight transactions: some record one entry, some several, some also lock a row
    (FOR UPDATE, the order a real service uses: rows first, the head at commit) and some roll back."""
    lock_id = _tenant_id(database)

    def writer(n: int) -> list[str]:
        kept = []
        for i in range(ROUNDS):
            name = f"w{n}-{i}"
            try:
                with database.unit_of_work() as session:
                    if i % 3 == 0:
                        session.execute(select(Tenant).where(Tenant.id == lock_id).with_for_update())
                    record(session, ACTOR, "race.write", "thing", name)
                    if i % 4 == 1:
                        record_many(session, [AuditDraft(ACTOR, "race.write", "thing", f"{name}-{k}")
                                              for k in range(3)])
                    if i % 5 == 4:
                        raise RuntimeError("rolled back")
            except RuntimeError:
                continue
            kept += [name] + ([f"{name}-{k}" for k in range(3)] if i % 4 == 1 else [])
        return kept

    before = _intact(database)
    with ThreadPoolExecutor(WRITERS) as pool:
        expected = [name for names in pool.map(writer, range(WRITERS)) for name in names]
    found = _objects(database, "race.write")
    assert sorted(found) == sorted(expected)
    assert len(found) == len(set(found))
    assert _intact(database) == before + len(expected)


def _tenant_id(database: Database) -> int:
    with database.unit_of_work() as session:
        tenant = Tenant(code="LOCK", name="lock")
        session.add(tenant)
        session.flush()
        return tenant.id


def test_an_entry_asked_for_its_number_is_chained_at_once_and_seen_by_the_same_transaction(
        database: Database) -> None:
    with database.unit_of_work() as session:
        first = record(session, ACTOR, "early.write", "thing", "one")
        seq = first.seq  # chained now: the caller stores it (reports.prevention)
        assert session.execute(select(AuditEntry.object_id).where(AuditEntry.seq == seq)).scalar_one() == "one"
        record(session, ACTOR, "early.write", "thing", "two")
        seen = session.execute(select(func.count()).select_from(AuditEntry)
                               .where(AuditEntry.action == "early.write")).scalar_one()
        assert seen == 2  # a read of the trail sees this transaction's entries
    assert _objects(database, "early.write") == ["one", "two"]
    _intact(database)


def test_a_session_reading_the_trail_after_its_first_entry_sees_it_and_one_recording_nothing_reads_as_is(
        database: Database) -> None:
    """The trail's reads are watched from a session's first recorded entry on (recoup.audit.lock_order): the
    first entry of a fresh session is chained before the read, in a later transaction of the same session too."""
    with database.unit_of_work() as session:
        before = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    session = database.sessions()
    try:
        record(session, ACTOR, "first.write", "thing", "alone")
        assert session.execute(select(AuditEntry.object_id).where(AuditEntry.action == "first.write")).all() == [
            ("alone",)]
        session.commit()
        record(session, ACTOR, "first.write", "thing", "again")
        assert session.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == before + 2
        session.commit()
    finally:
        session.close()
    assert _objects(database, "first.write") == ["alone", "again"]
    _intact(database)


# Hypothesis: a transaction of savepoints (each kept or rolled back), entries recorded in and around them,
# then commit or rollback: the trail holds exactly the entries of what was kept, and verifies.
Step = tuple[int, bool]  # (entries recorded inside a savepoint, whether the savepoint is kept)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 3), st.booleans()), max_size=4), st.integers(0, 2), st.booleans())
def test_only_what_was_kept_reaches_the_trail(database: Database, steps: list[Step], around: int,
                                              commit: bool) -> None:
    before = _intact(database)
    expected: list[str] = []
    session: Session = database.sessions()
    try:
        for n in range(around):
            record(session, ACTOR, "kept.write", "thing", f"outer-{before}-{n}")
            expected.append(f"outer-{before}-{n}")
        for index, (count, kept) in enumerate(steps):
            names = [f"s{before}-{index}-{k}" for k in range(count)]
            savepoint = session.begin_nested()
            for name in names:
                record(session, ACTOR, "kept.write", "thing", name)
            if kept:
                savepoint.commit()
                expected += names
            else:
                savepoint.rollback()
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()
    found = [name for name in _objects(database, "kept.write") if name.startswith((f"outer-{before}-",
                                                                                   f"s{before}-"))]
    assert found == (expected if commit else [])
    assert _intact(database) == before + (len(expected) if commit else 0)
