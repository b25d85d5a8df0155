"""The case page's evidence section and its upload, as a logged-in person sees them (in Chinese by default)."""

from __future__ import annotations

import hashlib
import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.evidence.evidence_world import EXE, NOW, open_case_for, png_bytes
from tests.support.factories import PASSWORD, World

from recoup.cases.models import Case
from recoup.config import Settings
from recoup.evidence.service import add_evidence


def _login(client: TestClient, username: str) -> str:
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    answer = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf.group(1)},
                         follow_redirects=False)
    assert answer.status_code == 303
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/cases").text)
    assert found is not None
    return found.group(1)


def test_upload_from_the_page_shows_the_file_and_refuses_a_program_in_the_users_language(client: TestClient,
                                                                                         world: World) -> None:
    number = open_case_for(world)
    csrf = _login(client, "a-cashier")
    photo = png_bytes()
    sent = client.post(f"/cases/{number}/evidence", data={"csrf_token": csrf, "kind": "receipt"},
                       files={"file": ("小票.png", photo, "image/png")}, headers={"X-Requested-With": "XMLHttpRequest"})
    assert sent.status_code == 201
    assert "已保存为证据" in sent.text
    refused = client.post(f"/cases/{number}/evidence", data={"csrf_token": csrf, "kind": "photo"},
                          files={"file": ("photo.jpg", EXE, "image/jpeg")}, follow_redirects=False)
    assert refused.status_code == 422
    assert "该文件是可执行程序而不是证据" in refused.text
    page = client.get(f"/cases/{number}").text
    section = page[page.index('data-testid="evidence"'):]
    digest = hashlib.sha256(photo).hexdigest()
    assert "收据" in section  # the kind, in words
    assert f'title="{digest}">{digest[:12]}</code>' in section
    assert "小票.png" in section
    assert 'data-testid="evidence-thumbnail"' in section
    assert f'href="/cases/{number}/bundle.zip"' in section
    thumbnail = re.search(r'src="(/cases/[^"]+\?inline=1)"', section)
    assert thumbnail is not None
    image = client.get(thumbnail.group(1))
    assert image.content == photo
    assert image.headers["content-disposition"].startswith("inline")
    client.post("/lang", data={"csrf_token": csrf, "locale": "en", "next": f"/cases/{number}"})
    english = client.post(f"/cases/{number}/evidence", data={"csrf_token": csrf, "kind": "photo"},
                          files={"file": ("photo.jpg", EXE, "image/jpeg")},
                          headers={"X-Requested-With": "XMLHttpRequest"})
    assert english.status_code == 422
    assert "the file is a program, not evidence" in english.text


def test_evidence_the_system_added_names_who_added_it_in_words(client: TestClient, world: World,
                                                                settings: Settings) -> None:
    number = open_case_for(world)
    with world.database.unit_of_work() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        add_evidence(session, settings, tenant_id=world.tenants["A"].id, case_id=case.id, kind="receipt",
                     name="slip.png", content=png_bytes(), added_by="demo-loader", now=NOW)
    csrf = _login(client, "a-cashier")
    page = client.get(f"/cases/{number}").text
    assert "演示数据导入" in page[page.index('data-testid="evidence"'):]
    client.post("/lang", data={"csrf_token": csrf, "locale": "en", "next": f"/cases/{number}"})
    page = client.get(f"/cases/{number}").text
    section = page[page.index('data-testid="evidence"'):]
    assert "Demo data loader" in section
    assert "demo-loader" not in section
