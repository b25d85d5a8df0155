"""Issue 17 from the outside: the run's summary through the API, its page and `recoup reconcile --db --save`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.reconciliation.following_days import generate, write_days
from tests.reconciliation.test_following_days import _admin, _import
from tests.support.cli import run_in_process
from tests.support.factories import PASSWORD, World, token_for

from recoup.auth.roles import Role
from recoup.config import Settings

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _login(client: TestClient, username: str) -> None:
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf.group(1)})


def _csrf(text: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert found is not None
    return found.group(1)


def test_api_cli_and_page_say_what_the_run_did_to_the_cases(world: World, settings: Settings, tmp_path: Path,
                                                          client: TestClient, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    who = _admin(world)
    days = write_days(generate(), tmp_path)
    headers = {"Authorization": f"Bearer {token_for(world.database, World.username('A', Role.ADMIN))}"}
    _import(world, who, settings, days[0])
    _import(world, who, settings, days[1])
    first = client.post("/api/v1/reconciliation/runs", headers=headers, json={})
    assert first.status_code == 201, first.text
    # two days at once: the reversed duplicate already shows as debited but failed, the touched one is refunded
    assert first.json()["cases"]["opened"] == {"DEBITED_BUT_FAILED": 1, "DUPLICATE_CHARGE": 2, "UNSETTLED": 1}
    _import(world, who, settings, days[2])

    ran = run_in_process(["reconcile", "--db", "--save", "--format", "json"], settings.resolved_database_url,
                         monkeypatch, capsys)
    assert ran.code == 0, ran.err
    rows = {row["kind"]: row for row in json.loads(ran.out)}
    assert rows["UNSETTLED"]["resolved"] == 1
    assert rows["DEBITED_BUT_FAILED"]["resolved"] == 1
    assert rows["DUPLICATE_CHARGE"]["not_judged"] == 1  # its refund settles tomorrow
    assert "2 resolved by later files, 0 left for a person (alerted)" in ran.err
    run_id = int(re.search(r"run (\d+):", ran.err).group(1))  # type: ignore[union-attr]

    stored = client.get(f"/api/v1/reconciliation/runs/{run_id}", headers=headers).json()
    assert stored["cases"]["resolved"] == {"DEBITED_BUT_FAILED": 1, "UNSETTLED": 1}
    assert client.get("/api/v1/reconciliation/runs/999999", headers=headers).status_code == 404
    bad = client.post("/api/v1/reconciliation/runs", headers=headers, json={"date_from": "2026-10-17",
                                                                          "date_to": "2026-10-15"})
    assert bad.status_code == 422

    _login(client, World.username("A", Role.ADMIN))
    page = client.get(f"/reconciliation/runs/{run_id}")
    assert page.status_code == 200
    assert "由后续文件解决" in page.text
    assert "未结算" in page.text
    assert "UNSETTLED" not in page.text  # codes are words on the page
    client.post("/lang", data={"locale": "en", "next": "/", "csrf_token": _csrf(client.get("/").text)})
    english = client.get(f"/reconciliation/runs/{run_id}")
    assert "Resolved by later files" in english.text
    assert "由后续文件解决" not in english.text
