"""The frozen submission as a ZIP, from the dispute page and the API: the documents sent (the vault's
plaintext), a manifest whose hashes equal the evidence's, the reason code and the facts; the download audited."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.disputes.dispute_world import NOW, ops, sale_case
from tests.evidence.evidence_world import PDF, png_bytes
from tests.support.cli import run_in_process
from tests.support.factories import PASSWORD, World, token_for

from recoup.audit.models import AuditEntry
from recoup.cases.models import Case
from recoup.config import Settings
from recoup.disputes.models import DisputeSubmission
from recoup.disputes.service import OpenRequest, open_dispute, respond
from recoup.evidence.service import add_evidence
from recoup.web.deps import current_time
from recoup.web.errors import page_message


def _evidence(world: World, settings: Settings, number: str) -> dict[str, bytes]:
    files = {"receipt.png": png_bytes(), "签购单.pdf": PDF}
    with world.database.unit_of_work() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        for (name, content), kind in zip(files.items(), ("receipt", "slip"), strict=True):
            add_evidence(session, settings, tenant_id=case.tenant_id, case_id=case.id, kind=kind, name=name,
                         content=content, added_by="a-acquirer_ops", now=NOW)
    return files


def _api(client: TestClient, world: World, dispute_id: int, user: str = "a-acquirer_ops") -> httpx.Response:
    headers = {"Authorization": f"Bearer {token_for(world.database, user)}"}
    answer: httpx.Response = client.get(f"/api/v1/disputes/{dispute_id}/submission.zip", headers=headers)
    return answer


def test_the_submission_downloads_as_a_zip_whose_manifest_matches_the_evidence(
        client: TestClient, world: World, settings: Settings, database_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    client.app.dependency_overrides[current_time] = lambda: NOW  # type: ignore[attr-defined]
    number = sale_case(world)
    files = _evidence(world, settings, number)
    with world.database.unit_of_work() as session:
        dispute_id = open_dispute(session, ops(world), number, OpenRequest(
            "unionpay", "chargeback", "4507", "1280.00", "CB-ZIP", "2026-10-16"), NOW).id
    early = _api(client, world, dispute_id)
    assert early.status_code in (409, 422), early.text
    assert "nothing submitted yet" in early.text
    assert "尚未提交任何材料" in page_message("zh_CN", early.json()["error"])  # as a Chinese page says it
    with world.database.unit_of_work() as session:
        respond(session, ops(world), dispute_id, [], NOW)  # what reason code 4507 calls for: both
        frozen = session.execute(select(DisputeSubmission)).scalar_one().manifest_sha256

    answer = _api(client, world, dispute_id)
    assert answer.status_code == 200, answer.text
    assert f"dispute-{dispute_id}-submission-1.zip" in answer.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    manifest = json.loads(archive.read("manifest.json"))
    documents = {row["path"]: row for row in manifest["files"]}
    assert sorted(documents) == ["documents/001-receipt-receipt.png", "documents/002-slip-签购单.pdf"]
    for path, content in zip(sorted(documents), files.values(), strict=True):
        assert archive.read(path) == content
        assert documents[path]["sha256"] == hashlib.sha256(content).hexdigest()
    canonical = json.dumps(manifest["submitted"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(canonical.encode()).hexdigest() == frozen == manifest["submission"]["manifest_sha256"]
    facts = manifest["dispute"]
    assert (facts["case"], facts["scheme"], facts["reason_code"], facts["amount"]) == (
        number, "UNIONPAY", "4507", "1280.00")
    assert facts["reason"]["label_en"]
    assert facts["reason"]["evidence_kinds"] == ["receipt", "slip"]
    assert _api(client, world, dispute_id, "b-acquirer_ops").status_code == 404
    with world.database.unit_of_work() as session:
        audited = session.execute(select(AuditEntry).where(AuditEntry.action == "dispute.download")).scalars().all()
    assert [entry.object_id for entry in audited] == [str(dispute_id)]

    client.app.dependency_overrides.clear()  # type: ignore[attr-defined]  # pages log in on the real clock
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    client.post("/login", data={"username": "a-acquirer_ops", "password": PASSWORD, "csrf_token": token.group(1)})
    detail = client.get(f"/disputes/{dispute_id}").text
    link = re.search(r'href="(/disputes/\d+/submission\.zip\?submission=1)"', detail)
    assert link is not None
    downloaded = client.get(link.group(1))
    assert downloaded.headers["content-type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(downloaded.content)).read("manifest.json") == archive.read("manifest.json")
    assert client.get(f"/disputes/{dispute_id}/submission.zip?submission=2").status_code == 404

    monkeypatch.setenv("RECOUP_VAR_DIR", str(settings.var_dir))  # the CLI reads the same vault, same keys
    monkeypatch.setenv("RECOUP_SECRET_KEY", settings.secret_key)
    out = tmp_path / "sent.zip"
    ran = run_in_process(["dispute", "download", str(dispute_id), "--out", str(out)], database_url, monkeypatch,
                         capsys, user="a-acquirer_ops")
    assert ran.code == 0, ran.err
    assert f"dispute-{dispute_id}-submission-1.zip written to {out} (2 document(s)" in ran.out
    assert zipfile.ZipFile(out).read("documents/002-slip-签购单.pdf") == PDF
    again = run_in_process(["dispute", "download", str(dispute_id), "--out", str(out)], database_url, monkeypatch,
                           capsys, user="a-acquirer_ops")
    assert again.code != 0
    assert "exists already" in again.err
