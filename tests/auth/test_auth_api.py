from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.support.cli import run_cli
from tests.support.factories import PASSWORD, World

from recoup.audit.models import AuditEntry
from recoup.auth.roles import Role
from recoup.config import Settings


def _audit_count(world: World) -> int:
    with world.database.unit_of_work() as session:
        return int(session.execute(select(func.count()).select_from(AuditEntry)).scalar_one())


def test_password_login_gives_a_working_token(client: TestClient, world: World) -> None:
    answer = client.post("/api/v1/auth/login", json={"username": "a-admin", "password": PASSWORD})
    assert answer.status_code == 200
    token = answer.json()["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["username"] == "a-admin"
    assert me.json()["role"] == "admin"


def test_wrong_password_is_refused_and_only_audited(client: TestClient, world: World) -> None:
    before = _audit_count(world)
    answer = client.post("/api/v1/auth/login", json={"username": "a-admin", "password": "nope-nope"})
    assert answer.status_code == 401
    assert answer.json() == {"error": "wrong username or password", "detail": None}
    assert _audit_count(world) == before + 1  # the failure, audited (SPEC section 9); nothing else changed


def test_missing_and_bad_tokens(client: TestClient, world: World) -> None:
    assert client.get("/api/v1/me").status_code == 401
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer rcp_forged"})
    assert bad.status_code == 401
    assert "invalid" in bad.json()["error"]


def test_role_is_enforced(client: TestClient, world: World) -> None:
    token = client.post("/api/v1/auth/login", json={"username": "a-cashier", "password": PASSWORD}).json()["token"]
    answer = client.get("/api/v1/users", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403
    assert "cashier" in answer.json()["error"]


def test_cli_user_add_then_api_login(client: TestClient, world: World, settings: Settings) -> None:
    added = run_cli(["user", "add", "zhang.wei", "--role", Role.MERCHANT_FINANCE.value, "--tenant", "A",
                     "--merchant", "898301054111439", "--password", "s3cret-pass"], settings.resolved_database_url)
    assert added.returncode == 0, added.stderr
    answer = client.post("/api/v1/auth/login", json={"username": "zhang.wei", "password": "s3cret-pass"})
    assert answer.status_code == 200
    listed = run_cli(["user", "list", "--format", "json"], settings.resolved_database_url)
    assert any(u["username"] == "zhang.wei" for u in __import__("json").loads(listed.stdout))
    disabled = run_cli(["user", "disable", "zhang.wei"], settings.resolved_database_url)
    assert disabled.returncode == 0
    again = client.post("/api/v1/auth/login", json={"username": "zhang.wei", "password": "s3cret-pass"})
    assert again.status_code == 401


def test_cli_refuses_short_password_and_duplicate(world: World, settings: Settings) -> None:
    short = run_cli(["user", "add", "x1", "--role", "cashier", "--tenant", "A", "--password", "short"],
                    settings.resolved_database_url)
    assert short.returncode == 1
    assert "at least 8" in short.stderr
    dup = run_cli(["user", "add", "a-admin", "--role", "admin", "--tenant", "A", "--password", "long-enough"],
                  settings.resolved_database_url)
    assert dup.returncode == 1
    assert "exists already" in dup.stderr
    assert "Traceback" not in dup.stderr + short.stderr


def test_cli_usage_errors_are_clear_and_exit_2(world: World, settings: Settings) -> None:
    for args in (["user", "list", "--bogus"], ["no-such-command"]):
        done = run_cli(args, settings.resolved_database_url)
        assert done.returncode == 2
        assert "Error:" in done.stderr
        assert "Traceback" not in done.stderr
