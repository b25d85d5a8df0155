"""The evidence API: upload (multipart), list, read one file, the bundle; refusals clear, scope enforced."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.evidence.evidence_world import EXE, PDF, open_case_for, png_bytes
from tests.support.factories import World, token_for

from recoup.audit.models import AuditEntry
from recoup.evidence.models import EvidenceItem


def _headers(world: World, user: str = "a-cashier") -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(world.database, user)}"}


def test_upload_list_read_and_bundle_through_the_api(client: TestClient, world: World) -> None:
    number = open_case_for(world)
    headers = _headers(world)
    photo = png_bytes()
    added = client.post(f"/api/v1/cases/{number}/evidence", headers=headers, data={"kind": "slip", "note": "签购单"},
                        files={"file": ("签购单.png", photo, "application/octet-stream")})
    assert added.status_code == 201, added.text
    item = added.json()
    assert (item["kind"], item["name"], item["content_type"], item["size"]) == ("slip", "签购单.png", "image/png",
                                                                               len(photo))
    assert item["sha256"] == hashlib.sha256(photo).hexdigest()
    listed = client.get(f"/api/v1/cases/{number}/evidence", headers=headers).json()
    assert [(row["id"], row["added_by"]) for row in listed if row["source"] == "file"] == [(item["id"], "a-cashier")]
    auditor = _headers(world, "a-auditor")
    read = client.get(f"/api/v1/cases/{number}/evidence/{item['id']}", headers=auditor)
    assert read.status_code == 200
    assert read.content == photo
    assert read.headers["content-type"] == "image/png"
    with world.database.unit_of_work() as session:
        readers = session.execute(select(AuditEntry.actor).where(AuditEntry.action == "evidence.read")).scalars().all()
    assert readers == ["a-auditor"]
    bundle = client.get(f"/api/v1/cases/{number}/bundle.zip", headers=auditor)
    assert bundle.status_code == 200
    assert bundle.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(bundle.content))
    manifest = json.loads(archive.read("manifest.json"))
    [entry] = [f for f in manifest["files"] if f["kind"] == "slip"]
    assert archive.read(entry["path"]) == photo
    assert entry["sha256"] == item["sha256"]


def test_refusals_are_clear_and_keep_nothing(client: TestClient, world: World) -> None:
    number = open_case_for(world)
    headers = _headers(world)
    renamed = client.post(f"/api/v1/cases/{number}/evidence", headers=headers, data={"kind": "photo"},
                          files={"file": ("holiday.jpg", EXE, "image/jpeg")})
    assert renamed.status_code == 422
    assert "program" in renamed.json()["error"]
    wrong_kind = client.post(f"/api/v1/cases/{number}/evidence", headers=headers, data={"kind": "call"},
                             files={"file": ("call.mp3", PDF, "audio/mpeg")})
    assert wrong_kind.status_code == 422
    assert wrong_kind.json()["error"] == "the file's content is not accepted for kind call (accepted: audio recordings)"
    auditor = client.post(f"/api/v1/cases/{number}/evidence", headers=_headers(world, "a-auditor"),
                          data={"kind": "slip"}, files={"file": ("slip.png", png_bytes(), "image/png")})
    assert auditor.status_code == 403
    other_tenant = client.post(f"/api/v1/cases/{number}/evidence", headers=_headers(world, "b-admin"),
                               data={"kind": "slip"}, files={"file": ("slip.png", png_bytes(), "image/png")})
    assert other_tenant.status_code == 404
    assert client.get(f"/api/v1/cases/{number}/bundle.zip", headers=_headers(world, "b-admin")).status_code == 404
    with world.database.unit_of_work() as session:
        assert session.execute(select(func.count()).select_from(EvidenceItem)).scalar_one() == 0
        refusals = session.execute(select(AuditEntry.note).where(AuditEntry.action == "evidence.add.refused")).all()
    assert len(refusals) >= 2  # the attempts are on record, though nothing was kept
