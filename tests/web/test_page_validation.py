"""A value a page's route refuses (a form field too long, an address part of the wrong kind) answers a clear
error page, 422, naming the field and what is wrong in the user's language; the API answers the same as JSON."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from tests.support.factories import OBJECTS, PASSWORD, World, token_for

from recoup.cases.models import Case
from recoup.merchants.models import Terminal

TITLES = {"zh_CN": "输入无效", "en": "Invalid input"}


def csrf_of(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def log_in(client: TestClient, locale: str, username: str = "a-admin") -> str:
    """Logs in, picks the language and returns a CSRF token for the forms."""
    client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(
        client.get("/login").text)})
    client.post("/lang", data={"locale": locale, "next": "/", "csrf_token": csrf_of(client.get("/").text)})
    return csrf_of(client.get("/").text)


def alert_of(page: str) -> str:
    return page.split('role="alert">')[1].split("<")[0]


def assert_error_page(answer: Response, locale: str) -> str:
    """The answer is the HTML error page titled in `locale`; returns its message."""
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert f"422 · {TITLES[locale]}" in answer.text
    assert "Traceback" not in answer.text
    return alert_of(answer.text)


@pytest.mark.parametrize(("locale", "message"), [("zh_CN", "journal_id: 必须是整数"),
                                                 ("en", "journal_id: must be a valid integer")])
def test_a_bad_address_value_answers_a_clear_page(world: World, client: TestClient, locale: str,
                                                  message: str) -> None:
    log_in(client, locale)
    assert assert_error_page(client.get("/transactions/not-a-number"), locale) == message


@pytest.mark.parametrize(("locale", "message"), [("zh_CN", "reason: 最多 2000 个字符"),
                                                 ("en", "reason: at most 2000 characters")])
def test_a_form_field_too_long_answers_a_clear_page_and_changes_nothing(world: World, client: TestClient,
                                                                      locale: str, message: str) -> None:
    csrf = log_in(client, locale, "a-merchant_finance")
    terminal = OBJECTS["A"][1]
    answer = client.post(f"/terminals/{terminal}/stop", data={"reason": "x" * 2001, "csrf_token": csrf})
    assert assert_error_page(answer, locale) == message
    with world.database.unit_of_work() as session:
        assert session.get(Terminal, terminal).stopped is False  # type: ignore[union-attr]


@pytest.mark.parametrize(("locale", "message"), [
    ("zh_CN", "rrn: 最多 12 个字符; terminal_id: 最多 8 个字符"),
    ("en", "rrn: at most 12 characters; terminal_id: at most 8 characters"),
])
def test_every_bad_field_of_a_form_is_named(world: World, client: TestClient, locale: str, message: str) -> None:
    csrf = log_in(client, locale)
    answer = client.post("/cases", data={"rrn": "1" * 13, "terminal_id": "6" * 9, "amount": "10.00",
                                         "csrf_token": csrf})
    assert assert_error_page(answer, locale) == message
    with world.database.unit_of_work() as session:
        assert session.execute(select(func.count()).select_from(Case)).scalar_one() == 0


def test_the_api_answers_the_same_mistakes_as_json(world: World, client: TestClient) -> None:
    headers = {"Authorization": f"Bearer {token_for(world.database, 'a-admin')}"}
    answer = client.get("/api/v1/transactions/not-a-number", headers=headers)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert set(body) == {"error", "detail"}
    assert body["error"] == "invalid input"
    assert [problem["field"] for problem in body["detail"]] == ["path.journal_id"]
