"""Sending from the API and the CLI; templates edited by the admin, an unknown placeholder refused by name."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.messaging.conftest import case_with_contact
from tests.support.cli import run_in_process
from tests.support.factories import World, token_for

from recoup.config import Settings
from recoup.messaging.models import OutboxMessage


def _headers(world: World, user: str = "a-admin", key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token_for(world.database, user)}"}
    return headers | ({"Idempotency-Key": key} if key else {})


def _count(world: World) -> int:
    with world.database.unit_of_work() as session:
        return int(session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one())


def test_api_queues_once_per_idempotency_key_lists_masked_and_refuses_a_bad_address(
        client: TestClient, world: World, settings: Settings) -> None:
    number = case_with_contact(world, settings)
    url = f"/api/v1/cases/{number}/messages"
    body = {"template": "request_information", "channel": "email", "language": "en"}
    first = client.post(url, json=body, headers=_headers(world, key="k-1"))
    assert first.status_code == 201, first.text
    again = client.post(url, json=body, headers=_headers(world, key="k-1"))
    assert again.json()["id"] == first.json()["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    row = first.json()
    assert (row["state"], row["to"], row["attempts"]) == ("QUEUED", "p***@example.com", 0)
    assert row["subject"] == f"Could you help us with some information? (case {number})"
    bad = client.post(url, json={"template": "apology", "channel": "sms", "to": "12345"}, headers=_headers(world))
    assert bad.status_code == 422
    assert "not a phone number" in bad.json()["error"]
    injected = client.post(url, json={"template": "apology", "to": "a@example.com\r\nBcc: all@example.com"},
                           headers=_headers(world))
    assert injected.status_code == 422
    listed = client.get(url, headers=_headers(world, "a-auditor")).json()
    assert [m["id"] for m in listed] == [row["id"]]
    assert "payer@" not in json.dumps(listed)
    assert client.post(url, json=body, headers=_headers(world, "a-auditor")).status_code == 403
    assert _count(world) == 1


def test_admin_edits_a_template_and_an_unknown_placeholder_is_refused_by_name(
        client: TestClient, world: World, settings: Settings) -> None:
    url = "/api/v1/message-templates/apology/en"
    refused = client.put(url, json={"subject": "Sorry", "body": "Dear {customer_name}"}, headers=_headers(world))
    assert refused.status_code == 422
    assert refused.json()["error"].startswith("unknown placeholder {customer_name}")
    assert client.put(url, json={"subject": "Sorry ({case_number})", "body": "We owe you {difference}. {reply_link}"},
                      headers=_headers(world, "a-merchant_finance")).status_code == 403
    saved = client.put(url, json={"subject": "Sorry ({case_number})", "body": "We owe you {difference}. {reply_link}"},
                       headers=_headers(world))
    assert saved.status_code == 200
    shown = client.get("/api/v1/message-templates", headers=_headers(world)).json()
    listed = {(t["key"], t["locale"]): t for t in shown}
    assert listed[("apology", "en")]["customised"]
    assert not listed[("apology", "zh_CN")]["customised"]
    number = case_with_contact(world, settings)
    sent = client.post(f"/api/v1/cases/{number}/messages", json={"template": "apology", "language": "en"},
                       headers=_headers(world)).json()
    assert sent["subject"] == f"Sorry ({number})"
    assert sent["body"].startswith("We owe you ¥1,280.00. http")
    assert client.put("/api/v1/message-templates/nosuch/en", json={"body": "x"}, headers=_headers(world)) \
        .status_code == 404


def test_cli_sends_and_lists_and_asks_for_an_address_when_the_order_has_none(
        world: World, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    number = case_with_contact(world, settings, contact=None)
    url = settings.resolved_database_url
    missing = run_in_process(["message", "send", number, "--template", "apology"], url, monkeypatch, capsys)
    assert missing.code != 0
    assert "has no customer e-mail address" in missing.err + missing.out
    sent = run_in_process(["message", "send", number, "--template", "apology", "--channel", "sms", "--to",
                           "138 0013 8000"], url, monkeypatch, capsys)
    assert sent.code == 0, sent.err
    assert "queued" in sent.out
    assert "+86138****8000" in sent.out
    assert "13800138000" not in sent.out
    listed = run_in_process(["message", "list", number, "--format", "json"], url, monkeypatch, capsys)
    rows = json.loads(listed.out)
    assert [(r["template"], r["channel"], r["state"]) for r in rows] == [("apology", "sms", "QUEUED")]
    templates = run_in_process(["message", "templates"], url, monkeypatch, capsys)
    assert templates.code == 0
    assert "request_difference" in templates.out
