"""Browser sessions live on the server and end when they should (issue 10, defects 10 and 11).

Before the fix the cookie held the user id, signed: a copy taken before logout kept working for 8 hours,
and nothing but time ended it. Now the cookie holds a random id whose hash is a row of web_sessions:
logout, a password change and `user disable` end it, so do 30 idle minutes and 8 hours in all. The clock
is the app's, moved by the test.
"""

from __future__ import annotations

import json
from base64 import b64decode, b64encode

import itsdangerous
import pytest
from fastapi.testclient import TestClient
from tests.auth.logins import ADMIN, Clock, csrf, install_clock, logged_in, web_login
from tests.support.cli import run_in_process
from tests.support.factories import PASSWORD, World

from recoup.config import Settings
from recoup.db import Database
from recoup.web.app import create_app

COOKIE = "recoup_session"
NEW_PASSWORD = "a-new-long-password"


@pytest.fixture
def clock(client: TestClient) -> Clock:
    return install_clock(client)


def _browser(client: TestClient, cookie: str | None) -> TestClient:
    """Another browser on the same app, holding `cookie` (e.g. a copy taken earlier)."""
    other = TestClient(client.app)
    if cookie is not None:
        other.cookies.set(COOKIE, cookie)
    return other


def _cli(args: list[str], settings: Settings, monkeypatch: pytest.MonkeyPatch,
         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RECOUP_VAR_DIR", str(settings.var_dir))
    done = run_in_process(args, settings.resolved_database_url, monkeypatch, capsys)
    assert done.code == 0, done.err


def _payload(cookie: str) -> dict[str, object]:
    loaded = json.loads(b64decode(cookie.split(".")[0]))
    assert isinstance(loaded, dict)
    return loaded


def test_a_cookie_copied_before_logout_is_refused_after(client: TestClient, world: World, clock: Clock) -> None:
    assert web_login(client) == 303
    copied = client.cookies.get(COOKIE)
    assert logged_in(_browser(client, copied))
    assert client.post("/logout", data={"csrf_token": csrf(client, "/")}, follow_redirects=False).status_code == 303
    assert not logged_in(client)
    assert not logged_in(_browser(client, copied))


def test_the_cookie_holds_a_random_id_not_the_user(client: TestClient, world: World, clock: Clock,
                                                   settings: Settings) -> None:
    assert web_login(client) == 303
    cookie = client.cookies.get(COOKIE)
    assert cookie is not None
    assert "user_id" not in _payload(cookie)
    # The old cookie's content, even signed with the real key, opens nothing any more.
    signer = itsdangerous.TimestampSigner(settings.keyring().current("session").secret)
    forged = signer.sign(b64encode(json.dumps({"user_id": 1}).encode())).decode()
    assert not logged_in(_browser(client, forged))


def test_a_password_change_by_the_operator_ends_every_session(client: TestClient, world: World, clock: Clock,
                                                              settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    other = _browser(client, None)
    assert web_login(client) == web_login(other) == 303
    _cli(["user", "password", ADMIN, "--password", NEW_PASSWORD], settings, monkeypatch, capsys)
    assert not logged_in(client)
    assert not logged_in(other)
    assert web_login(client) == 401  # the old password
    assert web_login(client, ADMIN, NEW_PASSWORD) == 303


def test_changing_ones_password_on_the_page_ends_the_other_sessions(client: TestClient, world: World,
                                                                    clock: Clock) -> None:
    other = _browser(client, None)
    assert web_login(client) == web_login(other) == 303
    before = client.cookies.get(COOKIE)
    form = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD}
    changed = client.post("/account/password", data={**form, "csrf_token": csrf(client, "/account/password")})
    assert changed.status_code == 200
    assert "密码已修改" in changed.text
    assert logged_in(client)  # this browser goes on, in a new session
    assert not logged_in(other)
    assert not logged_in(_browser(client, before))
    assert web_login(other, ADMIN, NEW_PASSWORD) == 303


@pytest.mark.parametrize(("form", "status", "says"), [
    ({"current_password": "not-the-password", "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD},
     401, "当前密码错误"),
    ({"current_password": PASSWORD, "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD + "x"},
     422, "两次输入的新密码不一致"),
    ({"current_password": PASSWORD, "new_password": "short", "repeat_password": "short"}, 422, "至少需要 8 个字符"),
])
def test_a_refused_password_change_says_why_and_changes_nothing(client: TestClient, world: World, clock: Clock,
                                                                form: dict[str, str], status: int, says: str) -> None:
    other = _browser(client, None)
    assert web_login(client) == web_login(other) == 303
    answer = client.post("/account/password", data={**form, "csrf_token": csrf(client, "/account/password")})
    assert answer.status_code == status
    assert says in answer.text
    assert logged_in(client)
    assert logged_in(other)
    assert web_login(_browser(client, None)) == 303  # the old password still works


def test_disabling_a_user_ends_their_sessions(client: TestClient, world: World, clock: Clock, settings: Settings,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert web_login(client) == 303
    _cli(["user", "disable", ADMIN], settings, monkeypatch, capsys)
    assert not logged_in(client)


def test_a_session_ends_after_thirty_idle_minutes(client: TestClient, world: World, clock: Clock) -> None:
    assert web_login(client) == 303
    for _ in range(3):  # in use: each request keeps it alive
        clock.advance(minutes=29)
        assert logged_in(client)
    clock.advance(minutes=30)
    assert not logged_in(client)


def test_a_session_ends_eight_hours_after_login_however_busy(client: TestClient, world: World, clock: Clock) -> None:
    assert web_login(client) == 303
    for _ in range(23):
        clock.advance(minutes=20)
        assert logged_in(client)
    clock.advance(minutes=20)  # 8 hours after login
    assert not logged_in(client)


def test_each_login_gets_a_new_session_id(client: TestClient, world: World, clock: Clock) -> None:
    """No session fixation: the id a browser held before logging in is never the one it holds after."""
    assert web_login(client) == 303
    first = client.cookies.get(COOKIE)
    assert web_login(client, "a-auditor") == 303
    second = client.cookies.get(COOKIE)
    assert first is not None
    assert second is not None
    assert _payload(first)["sid"] != _payload(second)["sid"]
    assert not logged_in(_browser(client, first))  # the earlier session ended with the new login


def _set_cookie(answer_headers: list[str]) -> str:
    (found,) = [h for h in answer_headers if h.startswith(COOKIE + "=")]
    return found.lower()


def _login_cookie_header(client: TestClient, headers: dict[str, str] | None = None) -> str:
    token = csrf(client)
    answer = client.post("/login", data={"username": ADMIN, "password": PASSWORD, "csrf_token": token},
                         headers=headers or {}, follow_redirects=False)
    assert answer.status_code == 303
    return _set_cookie(answer.headers.get_list("set-cookie"))


def _first_cookie_header(client: TestClient, base_url: str = "http://testserver",
                         headers: dict[str, str] | None = None) -> str:
    """The cookie a new browser gets with the login page (its CSRF token)."""
    answer = TestClient(client.app, base_url=base_url).get("/login", headers=headers or {})
    return _set_cookie(answer.headers.get_list("set-cookie"))


def test_cookie_flags_httponly_lax_and_secure_over_tls(client: TestClient, world: World, clock: Clock,
                                                      settings: Settings) -> None:
    plain = _login_cookie_header(client)
    assert "httponly" in plain
    assert "samesite=lax" in plain
    assert "secure" not in plain
    assert "; secure" in _first_cookie_header(client, "https://testserver")
    untrusted = _first_cookie_header(client, headers={"X-Forwarded-Proto": "https"})
    assert "secure" not in untrusted  # anyone may write that header: believed from a trusted proxy only
    settings.trusted_proxies = "testclient"
    assert "; secure" in _first_cookie_header(client, headers={"X-Forwarded-Proto": "https"})
    settings.trusted_proxies = ""
    settings.secure_cookies = True
    assert "; secure" in _first_cookie_header(client)


def test_a_rotated_session_key_keeps_signed_cookies(tmp_path: object, database: Database, world: World,
                                                    settings: Settings) -> None:
    from recoup.keys.store import rotate

    keyed = settings.model_copy(update={"secret_key": ""})  # the key file's keys, which rotate
    keyed.reload_keys()
    with TestClient(create_app(keyed, database)) as browser:
        install_clock(browser)
        assert web_login(browser) == 303
        cookie = browser.cookies.get(COOKIE)
    rotate(keyed, "session")
    keyed.reload_keys()
    with TestClient(create_app(keyed, database)) as after:
        install_clock(after)
        after.cookies.set(COOKIE, str(cookie))
        assert logged_in(after)
    stranger = itsdangerous.TimestampSigner(b"k" * 32).sign(b64encode(b"{}")).decode()
    with TestClient(create_app(keyed, database)) as forged:
        forged.cookies.set(COOKIE, stranger + "x")
        assert not logged_in(forged)
