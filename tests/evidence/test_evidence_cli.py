"""`recoup evidence add|list|bundle` as a user runs them; a file kept before a key rotation still opens."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.evidence.evidence_world import EXE, open_case_for, png_bytes
from tests.support.cli import run_in_process
from tests.support.factories import World

from recoup.evidence.models import EvidenceItem


def test_add_list_rotate_the_data_key_and_bundle(world: World, database_url: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    number = open_case_for(world)
    before, after = tmp_path / "before.png", tmp_path / "after.png"
    before.write_bytes(png_bytes(shade=1))
    after.write_bytes(png_bytes(shade=2))

    def recoup(*args: str) -> str:
        ran = run_in_process(list(args), database_url, monkeypatch, capsys, user="a-merchant_finance")
        assert ran.code == 0, ran.err + ran.out
        return ran.out

    said = recoup("evidence", "add", number, str(before), "--kind", "slip", "--note", "the slip the payer sent")
    assert f"{number}: kept before.png as evidence" in said
    recoup("keys", "rotate", "--purpose", "data")
    recoup("evidence", "add", number, str(after), "--kind", "photo")
    rows = json.loads(recoup("evidence", "list", number, "--format", "json"))
    files = [row for row in rows if row["source"] == "file"]
    assert [(r["kind"], r["name"], r["added_by"]) for r in files] == [
        ("slip", "before.png", "a-merchant_finance"), ("photo", "after.png", "a-merchant_finance")]
    assert {"id", "kind", "name", "size", "sha256", "added_at", "added_by"} <= set(files[0])
    assert files[0]["sha256"] == hashlib.sha256(before.read_bytes()).hexdigest()
    with world.database.unit_of_work() as session:
        key_ids = session.execute(select(EvidenceItem.key_id).order_by(EvidenceItem.id)).scalars().all()
    assert len(set(key_ids)) == 2  # written under the old data key, then under the new one
    assert any(row["kind"] == "record" for row in rows)  # the case's opening summary is a record too
    out = tmp_path / "case.zip"
    assert "bundle written to" in recoup("evidence", "bundle", number, "--out", str(out))
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        for entry in manifest["files"]:  # every file, the one under the old key too, opens and matches its hash
            assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]
    assert [f["name"] for f in manifest["files"] if f["kind"] != "record"] == ["before.png", "after.png"]


def test_refusals_say_why_and_exit_non_zero(world: World, database_url: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    number = open_case_for(world)
    program = tmp_path / "receipt.jpg"
    program.write_bytes(EXE)
    ran = run_in_process(["evidence", "add", number, str(program), "--kind", "receipt"], database_url, monkeypatch,
                         capsys)
    assert ran.code != 0
    assert "program" in ran.err + ran.out
    existing = tmp_path / "case.zip"
    existing.write_bytes(b"keep me")
    ran = run_in_process(["evidence", "bundle", number, "--out", str(existing)], database_url, monkeypatch, capsys)
    assert ran.code != 0
    assert existing.read_bytes() == b"keep me"
    ran = run_in_process(["evidence", "list", number], database_url, monkeypatch, capsys, user="b-admin")
    assert ran.code != 0
    assert "no case" in ran.err + ran.out
