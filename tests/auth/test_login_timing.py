"""An unknown username costs a login the same Argon2 work as a known one (issue 10, defect 5).

Before the fix a known user was answered in 103 ms and an unknown one in 1.6 ms: Argon2 ran only for
known users, so the answer time told which usernames exist. Wall time is too noisy to test on a shared
machine; the work is counted instead: every refused or accepted login makes exactly one verification,
against a hash of the same Argon2 parameters, and none at all while locked (for anyone).
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from tests.auth.logins import ADMIN, api_login, install_clock, web_login
from tests.support.cli import run_in_process
from tests.support.factories import World

from recoup.auth import passwords
from recoup.config import Settings

WRONG = "not-the-password"
_PARAMETERS = re.compile(r"^\$argon2id\$v=\d+\$m=\d+,t=\d+,p=\d+\$")


@pytest.fixture
def verified(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hashes each Argon2 verification was made against, in order."""
    hashes: list[str] = []
    real = passwords.verify_password

    def counting(password_hash: str, password: str) -> bool:
        hashes.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", counting)
    return hashes


def _parameters(password_hash: str) -> str:
    found = _PARAMETERS.match(password_hash)
    assert found is not None, password_hash
    return found.group(0)


@pytest.mark.parametrize("door", ["api", "web"])
def test_known_unknown_and_disabled_users_cost_one_equal_verification(
        client: TestClient, world: World, verified: list[str], settings: Settings, door: str,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    install_clock(client)
    monkeypatch.setenv("RECOUP_VAR_DIR", str(settings.var_dir))
    assert run_in_process(["user", "disable", "a-cashier"], settings.resolved_database_url, monkeypatch,
                          capsys).code == 0

    def attempt(username: str) -> int:
        return api_login(client, username, WRONG)[0] if door == "api" else web_login(client, username, WRONG)

    counts = []
    for username in (ADMIN, "no-such-user", "a-cashier"):  # known, unknown, disabled
        before = len(verified)
        assert attempt(username) == 401
        counts.append(len(verified) - before)
    assert counts == [1, 1, 1]
    known, unknown, disabled = verified
    assert _parameters(unknown) == _parameters(known) == _parameters(disabled)  # the same memory and time cost
    assert unknown != known


def test_no_verification_at_all_while_locked(client: TestClient, world: World, verified: list[str]) -> None:
    install_clock(client)
    for username in ("no-such-user", ADMIN):
        for _ in range(5):
            api_login(client, username, WRONG)
        before = len(verified)
        assert api_login(client, username, WRONG)[0] == 429
        assert len(verified) == before
