"""Staff work complaints through the pages, the API and the CLI: inbox, link, refusals, answers, QR poster."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from tests.complaints.complaint_world import MERCHANT_A, MERCHANT_B, TERMINAL_B, add_sale, file_complaint, sale_pair
from tests.support.cli import run_in_process
from tests.support.factories import World, token_for
from tests.support.web_login import log_in

from recoup.config import Settings

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_the_inbox_shows_deadlines_and_the_page_links_the_right_candidate(client: TestClient, world: World,
                                                                          settings: Settings) -> None:
    right, wrong = sale_pair(world)
    filed = file_complaint(world, settings)
    csrf = log_in(client, "a-merchant_finance")
    inbox = client.get("/complaints")
    assert f'href="/complaints/{filed.complaint.id}"' in inbox.text
    assert "新投诉" in inbox.text
    assert "2026-11-05 16:00" in inbox.text  # the deadline, in Shanghai time
    assert 'class="overdue"' in inbox.text  # long past by the real clock: shown red
    assert f'href="/complaints/qr/{MERCHANT_A}"' in inbox.text
    page = client.get(f"/complaints/{filed.complaint.id}")
    assert f'data-testid="link-{right}"' in page.text
    assert f'data-testid="link-{wrong}"' not in page.text
    linked = client.post(f"/complaints/{filed.complaint.id}/link", data={"csrf_token": csrf, "journal_id": right},
                         follow_redirects=False)
    assert linked.status_code == 303
    page = client.get(f"/complaints/{filed.complaint.id}")
    assert "RRN 300000000001" in page.text
    assert "处理中" in page.text


def test_linking_another_tenants_line_or_a_bad_case_says_why(client: TestClient, world: World,
                                                            settings: Settings) -> None:
    other = add_sale(world, "B", MERCHANT_B, TERMINAL_B, amount_minor=12800, last4="4321",
                     at=datetime(2026, 11, 2, 6, 34, tzinfo=UTC), rrn="300000000077")
    filed = file_complaint(world, settings)
    csrf = log_in(client, "a-admin")
    refused = client.post(f"/complaints/{filed.complaint.id}/link", data={"csrf_token": csrf, "journal_id": other})
    assert refused.status_code == 404
    joined = client.post("/lang", data={"csrf_token": csrf, "locale": "en", "next": "/complaints"})
    assert joined.status_code in (200, 303)
    bad = client.post(f"/complaints/{filed.complaint.id}/join-case", data={"csrf_token": csrf,
                                                                          "case_number": "RC-2026-999999"})
    assert bad.status_code == 404
    answer = client.post(f"/complaints/{filed.complaint.id}/answer", data={"csrf_token": csrf, "text": "  "})
    assert answer.status_code == 422
    assert "the answer: write something" in answer.text


def test_staff_file_against_the_provider_and_print_the_qr_poster(client: TestClient, world: World) -> None:
    csrf = log_in(client, "a-cashier")
    filed = client.post("/complaints/new", data={"csrf_token": csrf, "merchant_id": MERCHANT_A, "amount": "10.00",
                                                 "last4": "", "when": "", "description": "terminal keeps rebooting"},
                        follow_redirects=False)
    assert filed.status_code == 303
    page = client.get(filed.headers["location"])
    assert "POS机客服" in page.text
    assert "商户投诉服务商" in page.text
    poster = client.get(f"/complaints/qr/{MERCHANT_A}")
    assert "<svg" in poster.text
    assert f"/c/{MERCHANT_A}" in poster.text
    assert client.get(f"/complaints/qr/{MERCHANT_B}").status_code == 404
    refused = client.post("/complaints/new", data={"csrf_token": csrf, "merchant_id": MERCHANT_A,
                                                   "last4": "123456", "description": "x"})
    assert refused.status_code == 422
    assert "正好4位数字" in refused.text


def test_the_api_lists_links_answers_and_closes(client: TestClient, world: World, settings: Settings) -> None:
    right, _ = sale_pair(world)
    filed = file_complaint(world, settings, contact="+86 138 0013 8000")
    headers = {"Authorization": f"Bearer {token_for(world.database, 'a-merchant_finance')}"}
    listed = client.get("/api/v1/complaints", headers=headers).json()
    assert listed["total"] == 1
    assert listed["complaints"][0]["code"] == filed.tracking_code[:6]
    base = f"/api/v1/complaints/{filed.complaint.id}"
    assert client.post(f"{base}/link", json={"journal_id": right}, headers=headers).json()["journal_id"] == right
    answered = client.post(f"{base}/answer", json={"text": "refund on its way"}, headers=headers).json()
    assert answered["state"] == "ANSWERED"
    assert answered["contact"] == "+86****8000"
    assert client.post(f"{base}/close", json={}, headers=headers).json()["state"] == "CLOSED"
    again = client.post(f"{base}/answer", json={"text": "more"}, headers=headers)
    assert again.status_code == 409
    auditor = {"Authorization": f"Bearer {token_for(world.database, 'a-auditor')}"}
    assert client.post(f"{base}/close", json={}, headers=auditor).status_code == 403
    other = {"Authorization": f"Bearer {token_for(world.database, 'b-admin')}"}
    assert client.get(base, headers=other).status_code == 404
    assert "tracking" not in json.dumps(client.get(base, headers=headers).json())


def test_the_cli_lists_and_shows(world: World, settings: Settings, database_url: str,
                                 monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    filed = file_complaint(world, settings, description="two charges on the slip")
    listed = run_in_process(["complaint", "list", "--format", "json"], database_url, monkeypatch, capsys)
    assert listed.code == 0, listed.err
    assert [row["id"] for row in json.loads(listed.out)] == [filed.complaint.id]
    shown = run_in_process(["complaint", "show", str(filed.complaint.id)], database_url, monkeypatch, capsys)
    assert shown.code == 0
    assert "two charges on the slip" in shown.out
    missing = run_in_process(["complaint", "show", "999"], database_url, monkeypatch, capsys,
                             user="b-admin")
    assert missing.code != 0
    assert re.search(r"no complaint", missing.out + missing.err)
