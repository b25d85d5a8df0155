"""Keeping evidence through the service: stored encrypted, checked by content, audited, never overwritten."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import func, select
from tests.cases.test_case_world import admin, overcharge_case
from tests.evidence.evidence_world import EXE, NOW, jpeg_bytes, open_case_for, png_bytes
from tests.support.factories import World

from recoup.audit.models import AuditEntry
from recoup.cases.models import Case, CaseEvent
from recoup.cases.schemas import read_case
from recoup.cases.service import add_note
from recoup.config import Settings
from recoup.evidence.models import EvidenceItem
from recoup.evidence.records import records_from, records_of
from recoup.evidence.service import (
    DuplicateEvidence,
    EvidenceRefused,
    add_evidence,
    attach_to_case,
    read_evidence,
)
from recoup.evidence.store import address, evidence_path
from recoup.evidence.views import evidence_rows
from recoup.recovery.plans import ActionRequest
from recoup.recovery.service import perform


def _case(world: World, number: str) -> Case:
    with world.database.unit_of_work() as session:
        return session.execute(select(Case).where(Case.number == number)).scalar_one()


def _add(world: World, settings: Settings, case: Case | None, content: bytes, kind: str = "photo",
         name: str = "slip.jpg", complaint_id: int | None = None) -> EvidenceItem:
    with world.database.unit_of_work() as session:
        return add_evidence(session, settings, tenant_id=world.tenants["A"].id, case_id=case.id if case else None,
                            kind=kind, name=name, content=content, added_by="a-cashier", now=NOW,
                            note="card 6228480402564890018 shown", complaint_id=complaint_id)


def _evidence_files(settings: Settings) -> list[str]:
    folder = settings.var_dir / "evidence"
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_a_file_is_stored_encrypted_audited_on_the_timeline_and_reads_back(world: World, settings: Settings) -> None:
    case = _case(world, open_case_for(world))
    photo = png_bytes()
    item = _add(world, settings, case, photo, name="../小票.png")
    assert (item.kind, item.name, item.content_type, item.size) == ("photo", "小票.png", "image/png", len(photo))
    assert item.key_id == settings.keyring().current("data").id
    assert "6228480402564890018" not in item.note  # a card number typed into the note is masked
    stored = evidence_path(settings.var_dir, address(item.tenant_id, item.sha256)).read_bytes()
    assert photo not in stored
    assert photo[8:40] not in stored
    with world.database.unit_of_work() as session:
        again = session.get(EvidenceItem, item.id)
        assert again is not None
        assert b"".join(read_evidence(session, settings, again, "a-auditor", NOW)) == photo
        actions = session.execute(select(AuditEntry.action, AuditEntry.actor).where(
            AuditEntry.object_type == "evidence", AuditEntry.object_id == str(item.id)).order_by(AuditEntry.seq)).all()
        events = session.execute(select(CaseEvent.event).where(CaseEvent.case_id == case.id)).scalars().all()
    assert [tuple(a) for a in actions] == [("evidence.add", "a-cashier"), ("evidence.read", "a-auditor")]
    assert "evidence_added" in events


REFUSED = [(EXE, "photo", "receipt.jpg", "program"),
           (jpeg_bytes(15 * 1024 * 1024 + 1), "photo", "huge.jpg", "too large"),
           (jpeg_bytes(), "call", "call.mp3", "not accepted for kind call")]


def test_a_refused_file_leaves_nothing_behind(world: World, settings: Settings) -> None:
    case = _case(world, open_case_for(world))
    for content, kind, name, words in REFUSED:
        with pytest.raises(EvidenceRefused, match=words) as refused:
            _add(world, settings, case, content, kind=kind, name=name)
        assert refused.value.status == 422
    with world.database.unit_of_work() as session:
        assert session.execute(select(func.count()).select_from(EvidenceItem)).scalar_one() == 0
    assert _evidence_files(settings) == []


def test_the_same_file_twice_in_a_case_is_refused_but_a_message_twice_is_kept_twice(world: World,
                                                                                    settings: Settings) -> None:
    case = _case(world, open_case_for(world))
    first = _add(world, settings, case, jpeg_bytes())
    files = _evidence_files(settings)
    with pytest.raises(DuplicateEvidence, match=f"item {first.id}"):
        _add(world, settings, case, jpeg_bytes(), name="again.jpg")
    assert _evidence_files(settings) == files  # the stored file was not written again
    sent = [_add(world, settings, case, "您好，退款已处理".encode(), kind="message", name="sms.txt") for _ in range(2)]
    assert sent[0].sha256 == sent[1].sha256
    assert sent[0].id != sent[1].id
    assert len(_evidence_files(settings)) == 2  # one photo, one message: each stored once


def test_a_complaints_photo_joins_the_case_it_is_linked_to(world: World, settings: Settings) -> None:
    case = _case(world, open_case_for(world))
    photo = _add(world, settings, None, png_bytes(shade=9), complaint_id=41)
    assert photo.case_id is None
    with world.database.unit_of_work() as session:
        attach_to_case(session, [photo.id], case.id)
    with world.database.unit_of_work() as session:
        rows = evidence_rows(session, session.get(Case, case.id))  # type: ignore[arg-type]
    assert [(r["id"], r["kind"], r["source"]) for r in rows if r["source"] == "file"] == [(photo.id, "photo", "file")]


def test_notes_and_actions_are_listed_as_records_with_the_hash_of_their_canonical_json(world: World,
                                                                                      settings: Settings) -> None:
    number = open_case_for(world)
    with world.database.unit_of_work() as session:
        add_note(session, admin(world), number, "payer called, sent the slip by WeChat", now=NOW)
    with world.database.unit_of_work() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        rows = evidence_rows(session, case)
    notes = [r for r in rows if r["source"] == "note"]
    assert [r["kind"] for r in notes] == ["record", "record"]  # the opening summary and the note
    with world.database.unit_of_work() as session:
        derived = records_of(session, session.get(Case, case.id))  # type: ignore[arg-type]
    bodies = {json.loads(d.content)["note"]: d for d in derived}
    note = bodies["payer called, sent the slip by WeChat"]
    assert json.loads(note.content)["case"] == number
    assert note.sha256 == hashlib.sha256(note.content).hexdigest()
    assert note.sha256 in {r["sha256"] for r in notes}


def test_the_case_pages_records_from_the_rows_it_read_are_the_records_listed(world: World, settings: Settings) -> None:
    """The case page derives the records from the timeline and actions it read once (records_from): the same
    records, in the same order, with the same hashes, as records_of reads on its own (the API, the bundle)."""
    number = overcharge_case(world, fund_minor=900000)
    perform(world.database, admin(world), number, ActionRequest("refund", "100.00"), "records-1")
    with world.database.unit_of_work() as session:
        add_note(session, admin(world), number, "payer called, sent the slip by WeChat", now=NOW)
    _add(world, settings, _case(world, number), png_bytes(shade=3))  # its timeline entry is not a record
    with world.database.unit_of_work() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        listed = records_of(session, case)
        reads = read_case(session, case)
        derived = records_from(case, reads.timeline, reads.actions)
        rows = evidence_rows(session, case, derived)
        assert rows == evidence_rows(session, case)
    assert derived == listed
    assert {record.source for record in derived} == {"note", "recovery_action"}
    assert "payer called, sent the slip by WeChat" in {json.loads(d.content).get("note") for d in derived}
    assert any(event.event == "evidence_added" for event in reads.timeline)
    assert not any(record.id == f"note-{event.id}" for record in derived for event in reads.timeline
                   if event.event == "evidence_added")
