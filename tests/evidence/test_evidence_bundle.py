"""The evidence bundle: reports in both languages, every file decrypted, records, audit entries with the
checkpoint they chain to, and a manifest whose hashes are the files' own; written as it streams."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile

from sqlalchemy import select
from tests.cases.test_case_world import admin
from tests.evidence.evidence_world import NOW, PDF, open_case_for, png_bytes
from tests.support.factories import World

from recoup.audit.checkpoints import write_checkpoint
from recoup.audit.models import AuditEntry
from recoup.cases.models import Case
from recoup.cases.service import add_note
from recoup.config import Settings
from recoup.evidence.bundle import plan_bundle, stream_bundle
from recoup.evidence.service import add_evidence
from recoup.recovery.plans import ActionRequest
from recoup.recovery.service import perform


def _keep(world: World, settings: Settings, number: str, kind: str, name: str, content: bytes) -> None:
    with world.database.unit_of_work() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        add_evidence(session, settings, tenant_id=case.tenant_id, case_id=case.id, kind=kind, name=name,
                     content=content, added_by="a-cashier", now=NOW)


def test_the_bundle_holds_everything_and_its_manifest_proves_it(world: World, settings: Settings) -> None:
    number = open_case_for(world)
    big = PDF + os.urandom(3 * 1024 * 1024)  # three chunks and more: streamed, not held whole
    _keep(world, settings, number, "slip", "签购单.png", png_bytes())
    _keep(world, settings, number, "document", "bank statement.pdf", big)
    with world.database.unit_of_work() as session:
        add_note(session, admin(world), number, "payer sent the slip by WeChat", now=NOW)
    perform(world.database, admin(world), number, ActionRequest("TRANSFER", "1.00", purpose="recovery"), "bundle-1")
    write_checkpoint(world.database, NOW)
    with world.database.unit_of_work() as session:
        plan = plan_bundle(session, settings, admin(world), number, NOW)
    parts = list(stream_bundle(plan, settings))
    assert len(parts) >= 3
    assert max(len(part) for part in parts) < 2 * 1024 * 1024 + 64 * 1024
    archive = zipfile.ZipFile(io.BytesIO(b"".join(parts)))
    names = set(archive.namelist())
    assert {"incident-report-zh.pdf", "incident-report-en.pdf", "manifest.json", "audit/entries.json",
            "audit/checkpoint.json"} <= names
    assert archive.read("incident-report-zh.pdf").startswith(b"%PDF")
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["case"] == number
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]
        assert {"path", "kind", "added_at", "added_by", "sha256"} <= set(entry)
    stored = {entry["name"]: entry for entry in manifest["files"] if entry["kind"] != "record"}
    assert archive.read(stored["bank statement.pdf"]["path"]) == big
    assert stored["签购单.png"]["path"] == "evidence/001-slip-签购单.png"
    records = [entry["path"] for entry in manifest["files"] if entry["kind"] == "record"]
    assert any(path.startswith("records/action-") for path in records)
    assert any(path.startswith("records/note-") for path in records)
    for document in manifest["documents"]:
        assert hashlib.sha256(archive.read(document["path"])).hexdigest() == document["sha256"]
    entries = json.loads(archive.read("audit/entries.json"))
    actions = {entry["action"] for entry in entries}
    assert {"case.open", "case.note", "evidence.add"} <= actions
    checkpoint = json.loads(archive.read("audit/checkpoint.json"))["checkpoint"]
    assert checkpoint["seq"] >= max(entry["seq"] for entry in entries)
    with world.database.unit_of_work() as session:
        bundled = session.execute(select(AuditEntry).where(AuditEntry.action == "evidence.bundle")).scalar_one()
    assert bundled.object_id == number
    assert bundled.actor == "a-admin"
