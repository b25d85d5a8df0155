"""Issue 10, defect 3: someone who can rewrite the database, but has not the audit key, cannot shorten,
edit or rebuild the trail up to the last checkpoint without `recoup audit verify` saying so."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from tests.audit.tampering import ATTACKS, HEADS, attack
from tests.support.cli import run_cli, run_in_process

from recoup.audit.checkpoint_file import checkpoint_path
from recoup.audit.service import Actor, record
from recoup.config import Settings
from recoup.db import Database

WHEN = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
ALICE, BOB = Actor("alice", 1, "test"), Actor("bob", 2, "test")

# What verify names for each attack once a checkpoint holds entry 6.
EXPECTED = {
    "truncate the tail": ("entry 5", "checkpoint line 1"),
    "delete inside": ("entry 3", "missing"),
    "edit one entry": ("entry 4", "altered"),
    "rebuild with plain SHA-256": ("entry 6", "does not match checkpoint line 1"),
    "rebuild under a wrong key, same key id": ("entry 1", "altered"),
    "rebuild under the attacker's own key id": ("entry 1", "'a-thief'"),
    "delete everything": ("entry 1", "checkpoint line 1"),
}


def fill(database: Database, n: int = 6) -> None:
    with database.unit_of_work() as session:
        for i in range(n):
            record(session, ALICE if i % 2 else BOB, "thing.change", "thing", str(i), before={"v": i},
                   after={"v": i + 1}, note="退款" if i == 1 else "", at=WHEN)


def verify_cli(database: Database, monkeypatch: pytest.MonkeyPatch,
               capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code, out, err = run_in_process(["audit", "verify"], database.url, monkeypatch, capsys)
    assert "Traceback" not in out + err
    return code, out + err


@pytest.mark.parametrize("head", list(HEADS))
@pytest.mark.parametrize("how", list(ATTACKS))
def test_every_attack_up_to_the_checkpoint_is_caught(
        database: Database, how: str, head: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    fill(database)
    code, said = verify_cli(database, monkeypatch, capsys)
    assert code == 0, said
    assert "6 entries verified" in said
    assert "checkpoint: entry 6" in said
    attack(database, how, head)
    code, said = verify_cli(database, monkeypatch, capsys)
    assert code == 1, said
    for words in EXPECTED[how]:
        assert words in said, said


@pytest.mark.parametrize("how", ["truncate the tail", "delete everything"])
def test_without_a_checkpoint_the_head_row_still_catches_a_cut(
        database: Database, how: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    fill(database)
    attack(database, how, "head row untouched")
    code, said = verify_cli(database, monkeypatch, capsys)
    assert code == 1
    assert "missing" in said, said
    attack(database, "delete everything", "head row untouched")
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE audit_head SET last_seq = 0"))
    assert verify_cli(database, monkeypatch, capsys)[0] == 1  # the head still names a hash: no entry has it


def test_a_head_row_that_names_another_hash_is_caught(database: Database, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    fill(database)
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE audit_head SET last_hash = :h"), {"h": "f" * 64})
    code, said = verify_cli(database, monkeypatch, capsys)
    assert code == 1
    assert "head row" in said


def test_an_edited_checkpoint_line_is_named(database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    fill(database)
    assert verify_cli(database, monkeypatch, capsys)[0] == 0
    path = checkpoint_path(settings.audit_checkpoint_folder)
    line = json.loads(path.read_text())
    path.write_text(json.dumps({**line, "seq": 4}) + "\n")  # as if the trail had been checkpointed at 4
    code, said = verify_cli(database, monkeypatch, capsys)
    assert code == 1
    assert "checkpoint line 1" in said
    assert "altered or forged" in said
    path.write_text("{not json\n")
    code, said = verify_cli(database, monkeypatch, capsys)
    assert (code, "checkpoint line 1" in said, "unreadable" in said) == (1, True, True)


def test_the_command_as_a_subprocess_fails_with_a_clear_line(database: Database, settings: Settings) -> None:
    fill(database)
    ok = run_cli(["audit", "verify"], database.url)
    assert ok.returncode == 0, ok.stderr
    assert checkpoint_path(settings.audit_checkpoint_folder).exists()
    attack(database, "truncate the tail", "head row updated")
    broken = run_cli(["audit", "verify"], database.url)
    assert broken.returncode == 1
    assert "audit trail broken at entry 5" in broken.stderr
    assert "Traceback" not in broken.stderr
