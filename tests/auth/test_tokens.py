"""API tokens expire, are listed and revoked, and login tokens do not pile up (issue 10, defect 15).

Before the fix each POST /auth/login added a token row that never expired, with no way to list or
revoke one but disabling the user. The app's clock is moved by the tests (nothing sleeps).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.auth.logins import ADMIN, T0, Clock, api_login, install_clock
from tests.support.cli import Ran, run_in_process
from tests.support.factories import World, token_for

from recoup.auth.models import ApiToken, User
from recoup.config import Settings


@pytest.fixture
def clock(client: TestClient) -> Clock:
    return install_clock(client)


def _login_token(client: TestClient, username: str = ADMIN) -> str:
    status, body = api_login(client, username)
    assert status == 200, body
    token = body["token"]
    assert isinstance(token, str)
    return token


def _me(client: TestClient, token: str) -> int:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def _login_rows(world: World, username: str = ADMIN) -> int:
    with world.database.unit_of_work() as session:
        query = (select(func.count()).select_from(ApiToken).join(User, User.id == ApiToken.user_id)
                 .where(User.username == username, ApiToken.kind == "login"))
        return int(session.execute(query).scalar_one())


def _cli(args: list[str], settings: Settings, monkeypatch: pytest.MonkeyPatch,
         capsys: pytest.CaptureFixture[str]) -> Ran:
    monkeypatch.setenv("RECOUP_VAR_DIR", str(settings.var_dir))
    return run_in_process(args, settings.resolved_database_url, monkeypatch, capsys)


def test_a_login_token_expires_after_twelve_hours(client: TestClient, world: World, clock: Clock) -> None:
    status, body = api_login(client)
    assert status == 200
    assert datetime.fromisoformat(str(body["expires_at"])) == T0 + timedelta(hours=12)
    token = str(body["token"])
    clock.advance(hours=11, minutes=59)
    assert _me(client, token) == 200
    clock.advance(minutes=1)
    expired = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert expired.status_code == 401
    assert "expired" in expired.json()["error"]


def test_expired_login_tokens_are_deleted_when_a_new_one_is_issued(client: TestClient, world: World,
                                                                   clock: Clock) -> None:
    for _ in range(3):
        _login_token(client)
    assert _login_rows(world) == 3
    clock.advance(hours=13)
    _login_token(client)
    assert _login_rows(world) == 1


def test_one_lists_ones_own_tokens_never_the_token_itself(client: TestClient, world: World, clock: Clock) -> None:
    mine = _login_token(client)
    theirs = _login_token(client, "a-auditor")
    answer = client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {mine}"})
    assert answer.status_code == 200
    (listed,) = answer.json()
    assert listed["prefix"] == mine[:12]
    assert listed["kind"] == "login"
    assert listed["name"] == "api-login"
    assert listed["revoked"] is False
    assert datetime.fromisoformat(listed["expires_at"]) == T0 + timedelta(hours=12)
    assert datetime.fromisoformat(listed["last_used_at"]) == T0  # this very call
    assert mine not in answer.text
    assert theirs[:12] not in answer.text


def test_last_use_is_written_at_most_once_a_minute(client: TestClient, world: World, clock: Clock) -> None:
    token = _login_token(client)

    def last_used() -> datetime:
        with world.database.unit_of_work() as session:
            found = session.execute(select(ApiToken.last_used_at).where(ApiToken.prefix == token[:12])).scalar_one()
        assert found is not None
        return found

    assert _me(client, token) == 200
    assert last_used() == T0
    clock.advance(seconds=30)
    assert _me(client, token) == 200
    assert last_used() == T0
    clock.advance(seconds=31)
    assert _me(client, token) == 200
    assert last_used() == T0 + timedelta(seconds=61)


def test_one_revokes_ones_own_token_and_no_one_elses(client: TestClient, world: World, clock: Clock) -> None:
    mine, spare = _login_token(client), _login_token(client)
    theirs = _login_token(client, "b-admin")
    headers = {"Authorization": f"Bearer {spare}"}
    assert client.delete(f"/api/v1/tokens/{theirs[:12]}", headers=headers).status_code == 404
    assert _me(client, theirs) == 200
    revoked = client.delete(f"/api/v1/tokens/{mine[:12]}", headers=headers)
    assert revoked.status_code == 200
    assert revoked.json()["revoked"] is True
    assert _me(client, mine) == 401
    assert _me(client, spare) == 200
    bad = client.delete("/api/v1/tokens/rcp_%2F..%2Fx", headers=headers)
    assert bad.status_code in (404, 422)
    assert client.delete("/api/v1/tokens/nonsense", headers=headers).status_code == 422


def test_cli_issues_lists_and_revokes_tokens(client: TestClient, world: World, settings: Settings,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    issued = _cli(["user", "token", ADMIN, "--name", "nightly-export", "--expires-days", "2"], settings, monkeypatch,
                  capsys)
    assert issued.code == 0, issued.err
    token = issued.out.strip()
    assert _me(client, token) == 200
    listed = _cli(["user", "tokens", ADMIN, "--format", "json"], settings, monkeypatch, capsys)
    assert listed.code == 0, listed.err
    assert token not in listed.out
    (row,) = [r for r in json.loads(listed.out) if r["prefix"] == token[:12]]
    assert row["name"] == "nightly-export"
    assert row["kind"] == "personal"
    assert row["revoked"] is False
    lifetime = datetime.fromisoformat(row["expires_at"]) - datetime.fromisoformat(row["created_at"])
    assert lifetime == timedelta(days=2)
    assert row["last_used_at"] is not None
    revoked = _cli(["user", "revoke-token", token[:12]], settings, monkeypatch, capsys)
    assert revoked.code == 0, revoked.err
    assert _me(client, token) == 401
    again = _cli(["user", "tokens", ADMIN, "--format", "json"], settings, monkeypatch, capsys)
    assert [r["revoked"] for r in json.loads(again.out) if r["prefix"] == token[:12]] == [True]


@pytest.mark.parametrize(("args", "says"), [
    (["user", "revoke-token", "rcp_nothere0"], "no token 'rcp_nothere0'"),
    (["user", "revoke-token", "abc"], "a token prefix is 12 characters"),
    (["user", "tokens", "nobody"], "no user 'nobody'"),
])
def test_cli_token_mistakes_are_clear(world: World, settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str], args: list[str], says: str) -> None:
    done = _cli(args, settings, monkeypatch, capsys)
    assert done.code == 1
    assert says in done.err
    assert "Traceback" not in done.err


def test_a_password_change_ends_login_tokens_not_personal_ones(client: TestClient, world: World, clock: Clock,
                                                               settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    login, personal = _login_token(client), token_for(world.database, ADMIN)
    changed = _cli(["user", "password", ADMIN, "--password", "another-long-password"], settings, monkeypatch, capsys)
    assert changed.code == 0, changed.err
    assert _me(client, login) == 401
    assert _me(client, personal) == 200


def test_disabling_a_user_revokes_every_token_and_keeps_them_listed(client: TestClient, world: World,
                                                                    settings: Settings,
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    personal = token_for(world.database, ADMIN)
    assert _cli(["user", "disable", ADMIN], settings, monkeypatch, capsys).code == 0
    assert _me(client, personal) == 401
    listed = _cli(["user", "tokens", ADMIN, "--format", "json"], settings, monkeypatch, capsys)
    assert [r["revoked"] for r in json.loads(listed.out)] == [True]
