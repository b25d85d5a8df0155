from __future__ import annotations

import pytest
from sqlalchemy import text
from tests.support.cli import run_cli

from recoup.audit.chain import GENESIS, ChainLink, entry_hash, verify_chain
from recoup.audit.service import Actor, AuditDraft, record, record_many, verify
from recoup.config import Settings
from recoup.db import Database

ACTOR = Actor("alice", 1, "test")


def _links(n: int) -> list[ChainLink]:
    links, prev = [], GENESIS
    for seq in range(1, n + 1):
        fields: dict[str, object] = {"seq": seq, "action": f"a{seq}"}
        digest = entry_hash(prev, fields)
        links.append(ChainLink(seq, prev, digest, fields))
        prev = digest
    return links


def test_pure_chain_detects_each_kind_of_tampering() -> None:
    links = _links(5)
    assert verify_chain(links) is None
    altered = [*links[:2], ChainLink(3, links[2].prev_hash, links[2].hash, {"seq": 3, "action": "x"}), *links[3:]]
    assert verify_chain(altered).seq == 3  # type: ignore[union-attr]
    removed = links[:2] + links[3:]
    assert verify_chain(removed).seq == 3  # type: ignore[union-attr]
    swapped = [links[0], links[2], links[1], *links[3:]]
    assert verify_chain(swapped) is not None


def _fill(database: Database, n: int = 5) -> None:
    with database.unit_of_work() as session:
        for i in range(n):
            record(session, ACTOR, "thing.change", "thing", str(i), before={"v": i}, after={"v": i + 1})


def test_intact_trail_verifies(database: Database) -> None:
    _fill(database)
    with database.unit_of_work() as session:
        count, found = verify(session)
    assert (count, found) == (5, None)


def test_edited_row_is_named(database: Database) -> None:
    _fill(database)
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 3"))
    with database.unit_of_work() as session:
        _, found = verify(session)
    assert found is not None
    assert found.seq == 3
    assert "altered" in found.reason


@pytest.mark.parametrize("seq", [2, 5])
def test_removed_row_is_named(database: Database, seq: int) -> None:
    _fill(database)
    with database.engine.begin() as conn:
        conn.execute(text(f"DELETE FROM audit_entries WHERE seq = {seq}"))
    with database.unit_of_work() as session:
        _, found = verify(session)
    assert found is not None
    assert found.seq == seq


def test_cli_verify_exit_codes(database: Database, settings: Settings) -> None:
    _fill(database)
    ok = run_cli(["audit", "verify"], settings.resolved_database_url)
    assert ok.returncode == 0, ok.stderr
    assert "5 entries verified" in ok.stdout
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE audit_entries SET after = NULL WHERE seq = 4"))
    broken = run_cli(["audit", "verify"], settings.resolved_database_url)
    assert broken.returncode == 1
    assert "entry 4" in broken.stderr
    assert "Traceback" not in broken.stderr


def test_a_batch_of_entries_chains_like_single_ones_and_verifies(database: Database) -> None:
    _fill(database, 2)
    drafts = [AuditDraft(ACTOR, "case.open", "case", f"RC-2026-{i:06d}", after={"n": i}, note="批量")
              for i in range(1, 4)]
    with database.unit_of_work() as session:
        assert record_many(session, drafts) == 3
        assert record_many(session, []) == 0
        record(session, ACTOR, "thing.change", "thing", "after")
    with database.unit_of_work() as session:
        count, found = verify(session)
        objects = [row[0] for row in session.execute(text("SELECT object_id FROM audit_entries ORDER BY seq"))]
    assert (count, found) == (6, None)
    assert objects == ["0", "1", "RC-2026-000001", "RC-2026-000002", "RC-2026-000003", "after"]
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE audit_entries SET note = 'edited' WHERE seq = 4"))
    with database.unit_of_work() as session:
        assert verify(session)[1].seq == 4  # type: ignore[union-attr]
