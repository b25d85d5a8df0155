"""Failed logins are throttled per account and per address (SPEC section 9; issue 10, defect 5).

Before the fix, 50 wrong API logins and 30 wrong web logins in a row were all answered 401 and the right
password then worked. Now the 5th failure on an account (the 20th from an address) within 15 minutes
locks it: 429 with Retry-After, the right password refused too, until the lockout ends or an operator
unlocks the account (audited). The clock is the app's, moved by the test: nothing sleeps.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.auth.logins import ADMIN, Clock, api_login, audited, csrf, install_clock, logged_in, web_login
from tests.support.cli import run_in_process
from tests.support.factories import PASSWORD, World

from recoup.config import Settings

WRONG = "not-the-password"


@pytest.fixture
def clock(client: TestClient) -> Clock:
    return install_clock(client)


def test_api_the_fifth_failure_locks_the_account_even_for_the_right_password(
        client: TestClient, world: World, clock: Clock) -> None:
    answers = [client.post("/api/v1/auth/login", json={"username": ADMIN, "password": WRONG}) for _ in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    assert answers[-1].headers["Retry-After"] == "900"
    assert answers[-1].json()["detail"] == {"retry_after_seconds": 900}
    clock.advance(minutes=10)
    right = client.post("/api/v1/auth/login", json={"username": ADMIN, "password": PASSWORD})
    assert right.status_code == 429
    assert right.headers["Retry-After"] == "300"
    assert "token" not in right.json()
    assert "try again in 300 seconds" in right.json()["error"]
    clock.advance(minutes=5)
    assert api_login(client)[0] == 200  # the lockout is over


def test_web_form_is_locked_too_with_a_translated_message(client: TestClient, world: World, clock: Clock) -> None:
    assert [web_login(client, password=WRONG) for _ in range(4)] == [401] * 4
    locked = client.post("/login", data={"username": ADMIN, "password": WRONG, "csrf_token": csrf(client)})
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == "900"
    assert "登录失败次数过多" in locked.text
    assert "15 分钟" in locked.text
    assert web_login(client) == 429  # the right password, refused while locked
    assert not logged_in(client)
    clock.advance(minutes=15)
    assert web_login(client) == 303
    assert logged_in(client)


def test_a_success_resets_the_account_counter(client: TestClient, world: World, clock: Clock) -> None:
    assert [api_login(client, password=WRONG)[0] for _ in range(4)] == [401] * 4
    assert api_login(client)[0] == 200
    assert [api_login(client, password=WRONG)[0] for _ in range(4)] == [401] * 4  # 4 again, not locked at 5


def test_failures_outside_the_window_do_not_add_up(client: TestClient, world: World, clock: Clock) -> None:
    for _ in range(3):
        assert [api_login(client, password=WRONG)[0] for _ in range(4)] == [401] * 4
        clock.advance(minutes=16)
    assert api_login(client)[0] == 200


def test_unknown_users_are_locked_the_same_way(client: TestClient, world: World, clock: Clock) -> None:
    """A lockout tells nothing about whether the name exists."""
    known = [api_login(client, ADMIN, WRONG) for _ in range(5)]
    unknown = [api_login(client, "nobody-here", WRONG) for _ in range(5)]
    assert [c for c, _ in known] == [c for c, _ in unknown] == [401, 401, 401, 401, 429]
    assert [b for _, b in known] == [b for _, b in unknown]


def test_an_address_is_locked_after_failures_on_many_accounts(client: TestClient, world: World, clock: Clock) -> None:
    codes = [api_login(client, f"guess-{n}", WRONG)[0] for n in range(20)]
    assert codes == [401] * 19 + [429]
    assert api_login(client, "b-admin")[0] == 429  # a right password, from the locked address
    spoofed = client.post("/api/v1/auth/login", json={"username": "b-admin", "password": PASSWORD},
                          headers={"X-Forwarded-For": "203.0.113.9"})
    assert spoofed.status_code == 429  # the peer is no trusted proxy: its X-Forwarded-For is not believed


def test_behind_a_trusted_proxy_each_client_address_counts_apart(client: TestClient, world: World, clock: Clock,
                                                                 settings: Settings) -> None:
    settings.trusted_proxies = "testclient"  # the test client's peer address
    for n in range(20):
        client.post("/api/v1/auth/login", json={"username": f"guess-{n}", "password": WRONG},
                    headers={"X-Forwarded-For": "203.0.113.9"})
    other = client.post("/api/v1/auth/login", json={"username": "b-admin", "password": PASSWORD},
                        headers={"X-Forwarded-For": "198.51.100.7"})
    assert other.status_code == 200
    again = client.post("/api/v1/auth/login", json={"username": "b-admin", "password": PASSWORD},
                        headers={"X-Forwarded-For": "203.0.113.9"})
    assert again.status_code == 429


def test_failures_and_lockouts_are_audited_without_the_password(client: TestClient, world: World,
                                                                clock: Clock) -> None:
    for _ in range(6):
        api_login(client, ADMIN, WRONG)
    failures, lockouts, refused = (audited(world, action) for action in ("login.failure", "login.lockout",
                                                                         "login.refused"))
    assert len(failures) == 5
    assert len(refused) == 1
    assert {entry.after["subject"] for entry in lockouts if entry.after} == {f"user:{ADMIN}"}
    assert all(entry.object_id == ADMIN and entry.after and entry.after["address"] == "testclient"
               for entry in failures + refused)
    assert all(WRONG not in str(entry.after) + entry.note for entry in failures + lockouts + refused)


def test_unlock_is_audited_and_frees_the_account_and_its_addresses(
        client: TestClient, world: World, clock: Clock, settings: Settings, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    settings.login_failures_per_address = 3  # the address locks before the account does
    assert [api_login(client, ADMIN, WRONG)[0] for _ in range(3)] == [401, 401, 429]
    assert api_login(client, "a-auditor")[0] == 429  # another user, same address
    monkeypatch.setenv("RECOUP_VAR_DIR", str(settings.var_dir))
    done = run_in_process(["user", "unlock", ADMIN], settings.resolved_database_url, monkeypatch, capsys)
    assert done.code == 0, done.err
    assert "unlocked a-admin" in done.out
    assert "addr:testclient" in done.out
    assert api_login(client, "a-auditor")[0] == 200  # no waiting: the operator unlocked it
    assert api_login(client)[0] == 200
    (entry,) = audited(world, "login.unlock")
    assert entry.actor == "cli-operator"
    assert entry.object_id == ADMIN
    assert entry.before == {"locked": ["addr:testclient"]}


def test_unlock_of_an_unknown_user_is_a_clear_error(world: World, settings: Settings,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RECOUP_VAR_DIR", str(settings.var_dir))
    done = run_in_process(["user", "unlock", "nobody"], settings.resolved_database_url, monkeypatch, capsys)
    assert done.code == 1
    assert "no user 'nobody'" in done.err
    assert "Traceback" not in done.err


def test_a_burst_of_concurrent_guesses_gets_no_more_than_the_limit(client: TestClient, world: World,
                                                                    clock: Clock) -> None:
    """Guesses fired at once all pass the first look at the lock; each is still counted under the
    counter's row lock, and only the first four are told 401 (no lost count, one lockout)."""
    from concurrent.futures import ThreadPoolExecutor

    def guess(_: int) -> int:
        with TestClient(client.app) as browser:
            return browser.post("/api/v1/auth/login", json={"username": ADMIN, "password": WRONG}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(guess, range(12)))
    assert sorted(codes) == [401] * 4 + [429] * 8
    assert len(audited(world, "login.lockout")) == 1
    assert len(audited(world, "login.failure")) + len(audited(world, "login.refused")) == 12
    assert api_login(client)[0] == 429
