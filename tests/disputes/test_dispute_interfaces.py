"""Disputes through the API (Idempotency-Key on every submission and money move) and the command line."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.disputes.dispute_world import NOW, SALE_RRN, add_evidence, available, ledger_ok, sale_case
from tests.support.cli import run_in_process
from tests.support.factories import World, token_for

from recoup.auth.roles import Role
from recoup.db import utcnow
from recoup.web.deps import current_time

OPS = World.username("A", Role.ACQUIRER_OPS)


def _headers(world: World, key: str | None = None, user: str = OPS) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token_for(world.database, user)}"}
    return headers | ({"Idempotency-Key": key} if key else {})


def test_the_api_opens_answers_and_ends_a_dispute_once_per_key(client: TestClient, world: World) -> None:
    client.app.dependency_overrides[current_time] = lambda: NOW  # type: ignore[attr-defined]
    number = sale_case(world)
    receipt = add_evidence(world, number, "receipt", "receipt.png")
    body = {"scheme": "unionpay", "stage": "chargeback", "reason_code": "4507", "amount": "1280.00",
            "reference": "CB-API", "received_on": "2026-10-16"}
    url = f"/api/v1/cases/{number}/disputes"
    assert client.post(url, json=body, headers=_headers(world)).status_code == 422  # no key
    assert client.post(url, json=body, headers=_headers(world, "k1", "a-cashier")).status_code == 403
    first = client.post(url, json=body, headers=_headers(world, "k1"))
    assert first.status_code == 201, first.text
    again = client.post(url, json=body, headers=_headers(world, "k1"))
    assert (again.json(), again.headers.get("Idempotent-Replayed")) == (first.json(), "true")
    assert client.post(url, json={**body, "amount": "1.00"}, headers=_headers(world, "k1")).status_code == 409
    dispute = first.json()
    assert (dispute["due_on"], dispute["state"], dispute["amount"]) == ("2026-11-15", "AWAITING_RESPONSE", "1280.00")
    shown = client.get(f"/api/v1/disputes/{dispute['id']}", headers=_headers(world)).json()
    assert (shown["called_for"], shown["missing"], shown["days_left"]) == (["receipt", "slip"], ["slip"], 29)
    answered = client.post(f"/api/v1/disputes/{dispute['id']}/respond", json={"evidence_ids": [receipt]},
                           headers=_headers(world, "k2"))
    assert answered.json()["stage"] == "REPRESENTMENT", answered.text
    won = client.post(f"/api/v1/disputes/{dispute['id']}/outcome", json={"outcome": "won"},
                      headers=_headers(world, "k3"))
    assert (won.json()["outcome"], won.json()["credited_minor"]) == ("WON", 128000)
    listed = client.get("/api/v1/disputes?state=ENDED", headers=_headers(world)).json()
    assert [row["id"] for row in listed] == [dispute["id"]]
    assert client.get(f"/api/v1/disputes/{dispute['id']}", headers=_headers(world, user="b-admin")).status_code == 404
    submitted = client.get(f"/api/v1/disputes/{dispute['id']}", headers=_headers(world)).json()["submissions"]
    assert [d["evidence_id"] for d in submitted[0]["documents"]] == [receipt]
    ledger_ok(world)


def test_the_command_line_runs_the_cycle_and_imports_notices(world: World, database_url: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    number = sale_case(world, when=utcnow() - timedelta(days=3))
    before = available(world)

    def run(*args: str) -> str:
        ran = run_in_process(list(args), database_url, monkeypatch, capsys, user=OPS)
        assert ran.code == 0, ran.err + ran.out
        return ran.out

    opened = json.loads(run("dispute", "open", number, "--scheme", "visa", "--stage", "retrieval", "--reason",
                            "13.1", "--amount", "200.00", "--reference", "V-77", "--format", "json"))
    received = opened["received_on"]
    assert opened["due_on"] == (utcnow().date().fromisoformat(received) + timedelta(days=20)).isoformat()
    refused = run_in_process(["dispute", "respond", str(opened["id"])], database_url, monkeypatch, capsys, user=OPS)
    assert refused.code != 0
    assert "nothing to submit: reason code 13.1 calls for document, receipt" in refused.err + refused.out
    notices = tmp_path / "notices.csv"
    notices.write_text("scheme,reference,rrn,reason_code,amount,stage,received_on,due_on\n"
                       f"visa,V-77,{SALE_RRN},13.1,200.00,chargeback,{received},\n", encoding="utf-8")
    assert "0 opened, 1 advanced" in run("dispute", "import", str(notices))
    assert "0 opened, 0 advanced, 1 unchanged" in run("dispute", "import", str(notices))
    assert available(world) == before - 20000
    accepted = json.loads(run("dispute", "accept", str(opened["id"]), "--yes", "--format", "json"))
    assert (accepted["stage"], accepted["outcome"]) == ("CHARGEBACK", "ACCEPTED")
    rows = json.loads(run("dispute", "list", "--format", "json"))
    fields = {"id", "case", "scheme", "stage", "reason_code", "amount", "received_on", "due_on", "state", "outcome"}
    assert fields <= set(rows[0])
    assert (rows[0]["case"], rows[0]["scheme"], rows[0]["amount"]) == (number, "VISA", "200.00")
    shown = json.loads(run("dispute", "show", str(opened["id"]), "--format", "json"))
    assert shown["reason"]["label_en"] == "Merchandise or services not received"
    lost = run_in_process(["dispute", "outcome", str(opened["id"]), "--lost"], database_url, monkeypatch, capsys,
                          user=OPS)
    assert lost.code != 0
    assert "has ended" in lost.err + lost.out
    assert available(world) == before - 20000
    fee = run_in_process(["dispute", "scheme", "amex", "--fee", "25.50"], database_url, monkeypatch, capsys)
    assert (fee.code, fee.out.strip()) == (0, "AMEX: chargeback fee 25.50 CNY")
