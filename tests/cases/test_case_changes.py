"""The changes a user makes to a case (move, assign, escalate, note, close, reopen), served from one table
to the API and the CLI: each keeps its route, body and command, and a refusal is audited alike."""

from __future__ import annotations

import inspect
import json

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import select
from tests.cases.test_case_world import MERCHANT_A, admin
from tests.support.cli import run_in_process
from tests.support.factories import World, token_for

from recoup.audit.models import AuditEntry
from recoup.cases.changes import CHANGES
from recoup.cases.models import Case, CaseEvent
from recoup.cases.opening import OpenRequest, open_case
from recoup.config import Settings
from recoup.web.app import create_app

ROUTES = {"move": ("move", "MoveIn"), "assign": ("assign", "AssignIn"), "escalate": ("escalate", "ReasonIn"),
          "note": ("notes", "NoteIn"), "close": ("close", "CloseIn"), "reopen": ("reopen", "ReasonIn")}
LONG_NOTE = "x" * 4001


def _open(world: World) -> str:
    with world.database.unit_of_work() as session:
        return open_case(session, admin(world), OpenRequest(merchant_id=MERCHANT_A, amount="5.00")).number


def _refusal(world: World, action: str) -> AuditEntry:
    with world.database.unit_of_work() as session:
        return session.execute(select(AuditEntry).where(AuditEntry.action == f"{action}.refused")).scalar_one()


def test_each_body_gives_its_fields_in_the_order_the_service_takes_them() -> None:
    assert set(CHANGES) == set(ROUTES)
    for change in CHANGES.values():
        taken = [name for name in inspect.signature(change.perform).parameters if name != "now"]
        assert taken[:3] == ["session", "principal", "reference"]
        assert list(change.body.model_fields) == taken[3:], change.verb


def test_every_change_keeps_its_route_and_body_in_the_openapi_document() -> None:
    document = create_app(Settings(database_url="sqlite:///:memory:")).openapi()
    for verb, (path, body) in ROUTES.items():
        operation = document["paths"][f"/api/v1/cases/{{case_id}}/{path}"]["post"]
        schema_name = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        assert schema_name.endswith(body), verb  # another domain's ReasonIn makes it recoup__cases__..._ReasonIn
        assert list(document["components"]["schemas"][schema_name]["properties"]) == list(
            CHANGES[verb].body.model_fields)
        assert operation["requestBody"]["required"] is True
        assert [p["name"] for p in operation["parameters"]] == ["case_id"]
        assert operation["operationId"] == f"{verb}_api_v1_cases__case_id__{path}_post"


def test_the_cli_works_a_case_through_every_change(world: World, database_url: str, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    number = _open(world)

    def said(*args: str) -> str:
        ran = run_in_process(["case", *args], database_url, monkeypatch, capsys)
        assert ran.code == 0, ran.err
        return ran.out.strip()

    assert said("assign", number, "a-merchant_finance") == (
        f"{number}: assigned to a-merchant_finance (state OPEN, rung MERCHANT)")
    assert said("move", number, "investigating", "--reason", "looking") == (
        f"{number}: moved to INVESTIGATING (state INVESTIGATING, rung MERCHANT)")
    assert said("note", number, "called the shop").startswith(f"{number}: note added (state INVESTIGATING")
    assert said("escalate", number, "--reason", "no answer").startswith(f"{number}: escalated (state ESCALATED")
    closed = json.loads(said("close", number, "--as", "rejected", "--reason", "not ours", "--format", "json"))
    assert (closed["number"], closed["state"], closed["owner"]) == (number, "REJECTED", None)
    assert said("reopen", number, "--reason", "payer called back").startswith(f"{number}: reopened (state ")

    refused = run_in_process(["case", "note", number, LONG_NOTE], database_url, monkeypatch, capsys)
    assert refused.code != 0
    assert "a note has 1 to 4000 characters" in refused.err
    assert _refusal(world, "case.note").after == {"text": "x" * 200}


def test_the_api_audits_a_refused_change_with_what_was_asked(client: TestClient, world: World) -> None:
    headers = {"Authorization": f"Bearer {token_for(world.database, 'a-admin')}"}
    number = _open(world)
    escalated = client.post(f"/api/v1/cases/{number}/escalate", json={"reason": "no answer"}, headers=headers)
    assert escalated.status_code == 200
    assert escalated.json()["state"] == "ESCALATED"
    refused = client.post(f"/api/v1/cases/{number}/close", json={"outcome": "LOST", "reason": "?"}, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["error"].startswith("unknown case state 'LOST'")
    assert _refusal(world, "case.close").after == {"reason": "?", "outcome": "LOST"}


def test_a_change_answers_the_case_as_its_response_model_writes_it(client: TestClient, world: World) -> None:
    """The change routes send the case's row as JSON straight: the bytes, type and status FastAPI wrote when it
    validated the returned dict; the outbox event and the single UPDATE of an assignment stay as they were."""
    headers = {"Authorization": f"Bearer {token_for(world.database, 'a-admin')}"}
    number = _open(world)
    answers = [client.post(f"/api/v1/cases/{number}/notes", json={"text": "called the payer"},
                           headers=headers),
               client.post(f"/api/v1/cases/{number}/assign", json={"username": "a-admin"}, headers=headers)]
    for answer in answers:
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/json"
        assert answer.content == TypeAdapter(dict[str, object]).dump_json(answer.json())
    assert answers[1].json()["owner"] == "a-admin"
    with world.database.unit_of_work() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        assigned = session.execute(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                           CaseEvent.event == "assigned")).scalar_one()
        assert case.updated_at == assigned.at
        assert case.owner == "a-admin"
