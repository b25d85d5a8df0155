"""The search form is read once for the search page, GET /api/v1/transactions and `recoup search`: the same
values find the same lines, and a bad value is refused by all three with the same message."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI, Query
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.support.cli import run_in_process
from tests.support.factories import PASSWORD, World, token_for
from tests.support.journals import csv_bytes, journal_line

from recoup.auth.models import User
from recoup.auth.roles import Role
from recoup.auth.service import principal_for
from recoup.config import Settings
from recoup.transactions.importer import ImportOptions, import_file
from recoup.transactions.schemas import TransactionPage
from recoup.transactions.search import FIELD_LIMITS
from recoup.transactions.search_options import SEARCH_DOCS
from recoup.web.params import Offset

ADMIN = World.username("A", Role.ADMIN)
LINES = {"000000000001": ("128.00", "NO1"), "000000000002": ("1280.00", "NO2"), "000000000003": ("99.00", "NO3")}
CLI_OPTIONS = {"order_no": "--order-no", "rrn": "--rrn", "amount": "--amount", "last4": "--last4", "in": "--in",
               "to": "--to"}


@pytest.fixture
def loaded(world: World, settings: Settings, tmp_path: Path) -> World:
    path = tmp_path / "journal.csv"
    path.write_bytes(csv_bytes(*(journal_line(amount, rrn=rrn, order_no=order, at=f"2026-10-12T10:0{rrn[-1]}:00")
                                 for rrn, (amount, order) in LINES.items())))
    with world.database.unit_of_work() as session:
        admin = principal_for(session, session.execute(select(User).where(User.username == ADMIN)).scalar_one(), "cli")
        import_file(session, admin, "journal", path, settings, ImportOptions())
    return world


def logged_in(client: TestClient) -> TestClient:
    token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"username": ADMIN, "password": PASSWORD, "csrf_token": token})
    return client


def api_search(client: TestClient, world: World, values: dict[str, str]) -> tuple[int, dict[str, object]]:
    headers = {"Authorization": f"Bearer {token_for(world.database, ADMIN)}"}
    answer = client.get("/api/v1/transactions", params=values, headers=headers)
    return answer.status_code, answer.json()


def page_rrns(client: TestClient, values: dict[str, str]) -> list[str]:
    page = client.get("/transactions", params=values)
    assert page.status_code == 200
    assert 'role="alert"' not in page.text
    return re.findall(r"<td[^>]*>(\d{12})</td>", page.text.split('data-testid="search-results"')[1])


SAME_SEARCHES: list[tuple[dict[str, str], list[str]]] = [
    ({"amount": " 128.00 "}, ["000000000001"]),
    ({"order_no": "NO2", "rrn": ""}, ["000000000002"]),
    ({"min": "100", "max": "2000"}, ["000000000002", "000000000001"]),
    ({"flagged": "false", "last4": "5678"}, ["000000000003", "000000000002", "000000000001"]),
]


def test_the_page_and_the_api_find_the_same_lines(loaded: World, client: TestClient) -> None:
    logged_in(client)
    for values, expected in SAME_SEARCHES:
        status, body = api_search(client, loaded, values)
        assert status == 200, body
        assert [item["rrn"] for item in body["items"]] == expected, values  # type: ignore[attr-defined]
        assert page_rrns(client, values) == expected, values


BAD_VALUES: list[tuple[dict[str, str], str]] = [
    ({"order_no": "N" * 65}, "order_no: at most 64 characters"),
    ({"to": "2026-10-12T10:00:00+08:00" + "0" * 16}, "to: at most 40 characters"),
    ({"last4": "12"}, "last4: four digits, not '12'"),
    ({"amount": "12.345"}, "12.345"),
    ({"in": "everything"}, "search in one of journal, settlement, orders, not 'everything'"),
    ({"in": "orders", "rrn": "000000000001"}, "rrn cannot be searched in orders"),
    ({"flagged": "maybe"}, "flagged: true or false, not 'maybe'"),
]


@pytest.mark.parametrize(("values", "message"), BAD_VALUES)
def test_a_bad_value_is_refused_everywhere_with_the_same_message(
        loaded: World, client: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], values: dict[str, str], message: str) -> None:
    status, body = api_search(client, loaded, values)
    assert status == 422
    error = body["error"]
    assert isinstance(error, str)
    assert message in error
    page = logged_in(client).get("/transactions", params=values)
    assert page.status_code == 200  # the page shows the form again, the reason beside the field in the user's language
    assert 'data-testid="search-error"' in page.text
    assert 'data-testid="search-results"' not in page.text
    if all(name in CLI_OPTIONS for name in values):
        args = [part for name, value in values.items() for part in (CLI_OPTIONS[name], value)]
        ran = run_in_process(["search", *args], database_url, monkeypatch, capsys)
        assert (ran.code, ran.err.strip()) == (1, f"error: {error}")


async def _one_by_one(**values: str | None) -> None:
    """The search fields as they were declared before they were read in one dependency: each a Query of its own
    (its alias and description); the signature is set below."""
    return None


def _declared_transactions(texts: Annotated[None, Depends(_one_by_one)],
                           limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Offset = 0) -> TransactionPage:
    raise AssertionError(texts)


def _declared_one_by_one() -> FastAPI:
    """GET /api/v1/transactions with each search field declared on its own, after the route's limit and offset."""
    _one_by_one.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        inspect.Parameter(f"field_{number}", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=Annotated[str | None, Query(alias=name, description=_described(name))])
        for number, name in enumerate(FIELD_LIMITS)])
    reference = FastAPI()
    reference.get("/api/v1/transactions", response_model=TransactionPage)(_declared_transactions)
    return reference


def _described(name: str) -> str:
    documented = next(p for p in SEARCH_DOCS["parameters"] if p["name"] == name)
    return str(documented["description"])


def test_the_api_documents_each_field_as_a_declared_query_parameter_would(client: TestClient) -> None:
    ours = client.app.openapi()["paths"]["/api/v1/transactions"]["get"]["parameters"]  # type: ignore[attr-defined]
    declared = _declared_one_by_one().openapi()["paths"]["/api/v1/transactions"]["get"]["parameters"]
    assert ours == declared
    assert [parameter["name"] for parameter in ours] == ["limit", "offset", *FIELD_LIMITS]
    assert _described("from") == "from this day (the merchant's) or date-time (local time) (at most 40 characters)"


def test_a_field_given_twice_counts_by_its_last_value_and_an_empty_one_as_not_given(
        loaded: World, client: TestClient) -> None:
    headers = {"Authorization": f"Bearer {token_for(loaded.database, ADMIN)}"}
    twice = client.get("/api/v1/transactions?rrn=000000000001&rrn=000000000002&order_no=", headers=headers).json()
    assert [item["rrn"] for item in twice["items"]] == ["000000000002"]


def test_the_page_of_results_is_written_as_its_response_model_writes_it(loaded: World, client: TestClient) -> None:
    headers = {"Authorization": f"Bearer {token_for(loaded.database, ADMIN)}"}
    for values in ({"limit": "2"}, {"limit": "2", "offset": "2"}, {"in": "orders"}, {"rrn": "000000000009"}):
        answer = client.get("/api/v1/transactions", params=values, headers=headers)
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/json"
        assert answer.content == TransactionPage.model_validate_json(answer.content).model_dump_json().encode()
    assert client.get("/api/v1/transactions", params={"limit": "2"}, headers=headers).json()["next_offset"] == 2
