"""Odd input answers 422 naming the field, on SQLite and on PostgreSQL, and changes nothing (issue 10, defects
12 and 13): ids past 64 bits, offsets of 20 digits, the year 9999, 400-digit amounts, digits of other scripts."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from tests.cases.test_case_world import overcharge_case
from tests.support.factories import PASSWORD, World, token_for
from tests.web.test_page_validation import csrf_of

from recoup.recovery.models import RecoveryAction
from recoup.web.deps import SessionDep
from recoup.web.errors import OUT_OF_RANGE

HUGE = "99999999999999999999"  # 20 digits: past a 64-bit column


def _api(world: World, key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token_for(world.database, 'a-admin')}"}
    return headers | ({"Idempotency-Key": key} if key else {})


def _refused_field(answer: object) -> list[str]:
    assert answer.status_code == 422, answer.text  # type: ignore[attr-defined]
    body = answer.json()  # type: ignore[attr-defined]
    assert set(body) == {"error", "detail"}
    return [problem["field"] for problem in body["detail"]]


def _actions(world: World) -> int:
    with world.database.unit_of_work() as session:
        return int(session.execute(select(func.count()).select_from(RecoveryAction)).scalar_one())


@pytest.mark.parametrize(("path", "field"), [
    ("/api/v1/findings?offset=32589158477190044729", "query.offset"),
    (f"/api/v1/transactions/{HUGE}", "path.journal_id"),
    ("/api/v1/findings?date_to=9999-12-31", "query.date_to"),
    ("/api/v1/findings?date_from=0001-01-01", "query.date_from"),
    ("/api/v1/findings?min_amount=" + "9" * 400, "query.min_amount"),
    ("/api/v1/findings?max_amount=%EF%BC%91%EF%BC%92", "query.max_amount"),  # "１２"
    ("/api/v1/findings?limit=" + HUGE, "query.limit"),
    ("/api/v1/transactions?offset=" + HUGE, "query.offset"),
    ("/api/v1/audit/entries?limit=" + HUGE, "query.limit"),
    ("/api/v1/cases?limit=" + HUGE, "query.limit"),
    ("/api/v1/cases/%C2%B2", "path.case_id"),  # "²"
    ("/api/v1/cases/" + HUGE, "path.case_id"),
    ("/api/v1/merchants/" + "9" * 400, "path.merchant_id"),
])
def test_an_odd_api_parameter_answers_422_naming_it(client: TestClient, world: World, path: str, field: str) -> None:
    assert _refused_field(client.get(path, headers=_api(world))) == [field]


def test_an_odd_action_id_or_case_reference_answers_422_and_acts_on_nothing(client: TestClient, world: World) -> None:
    number = overcharge_case(world, fund_minor=1_000_000)
    confirm = client.post(f"/api/v1/cases/{number}/actions/{HUGE}/confirm", json={"reference": "x"},
                          headers=_api(world))
    assert _refused_field(confirm) == ["path.action_id"]
    act = client.post("/api/v1/cases/²/actions", json={"kind": "refund", "amount": "1.00"}, headers=_api(world, "k"))
    assert _refused_field(act) == ["path.case_id"]
    assert "digits 0-9" in act.json()["detail"][0]["reason"]
    assert _actions(world) == 0


@pytest.mark.parametrize("amount", ["１２", "٣", "1２.00", "¹"])
def test_an_amount_in_another_script_is_refused_and_moves_no_money(client: TestClient, world: World,
                                                                    amount: str) -> None:
    number = overcharge_case(world, fund_minor=1_000_000)
    answer = client.post(f"/api/v1/cases/{number}/actions", json={"kind": "refund", "amount": amount},
                         headers=_api(world, "k-other-script"))
    assert answer.status_code == 422, answer.text
    assert "amounts use the digits 0-9 only" in answer.json()["error"]
    assert _actions(world) == 0
    ascii_twelve = client.post(f"/api/v1/cases/{number}/actions", json={"kind": "refund", "amount": "12"},
                               headers=_api(world, "k-other-script"))  # the same key: nothing was recorded
    assert ascii_twelve.status_code == 201, ascii_twelve.text
    assert ascii_twelve.json()["amount"] == "12.00"


@pytest.mark.parametrize(("path", "message"), [
    ("/api/v1/transactions?to=9999-12-31", "a date from 1970-01-01 to 2100-12-31"),
    ("/api/v1/transactions?from=9999-12-31T23:59:59", "a date from 1970-01-01 to 2100-12-31"),
    ("/api/v1/transactions?amount=" + "9" * 30, "amount too large"),
    ("/api/v1/transactions?amount=%EF%BC%91%EF%BC%92", "amounts use the digits 0-9 only"),
    ("/api/v1/transactions?rrn=%C2%B2", "rrn: letters, digits"),
    ("/api/v1/transactions?stan=%C2%B2", "stan: up to 6 digits"),
])
def test_odd_search_filters_answer_422_with_a_clear_message(client: TestClient, world: World, path: str,
                                                           message: str) -> None:
    answer = client.get(path, headers=_api(world))
    assert answer.status_code == 422, answer.text
    assert message in answer.json()["error"]


def _log_in(client: TestClient) -> None:
    client.post("/login", data={"username": "a-admin", "password": PASSWORD,
                                "csrf_token": csrf_of(client.get("/login").text)})


@pytest.mark.parametrize(("path", "says"), [
    (f"/transactions/{HUGE}", "journal_id"),
    (f"/settlement/{HUGE}", "settlement_id"),
    ("/findings?min_amount=%EF%BC%91%EF%BC%92", "min_amount"),
    ("/cases/%C2%B2", "case_id"),
    ("/pay/%C2%B2", "token"),
])
def test_an_odd_page_parameter_answers_a_422_page(client: TestClient, world: World, path: str, says: str) -> None:
    _log_in(client)
    answer = client.get(path)
    assert answer.status_code == 422, answer.text[:500]
    assert answer.headers["content-type"].startswith("text/html")
    assert says in answer.text
    assert "Traceback" not in answer.text


@pytest.mark.parametrize("path", ["/findings?date_to=9999-12-31", "/findings?date_from=9999-12-31",
                                  "/transactions?to=9999-12-31", "/transactions?amount=" + "9" * 30])
def test_the_search_pages_name_an_odd_filter_above_their_form(client: TestClient, world: World, path: str) -> None:
    """Those pages keep the form and say what is wrong (above it or beside the field), never a 500."""
    _log_in(client)
    answer = client.get(path)
    assert answer.status_code == 200
    alerts = " ".join(re.findall(r'role="alert"[^>]*>([^<]*)<', answer.text))
    assert "2100-12-31" in alerts or "amount too large" in alerts or "金额过大" in alerts, alerts


def test_a_value_the_database_cannot_hold_is_a_422_not_a_500(settings: object, client: TestClient,
                                                             world: World) -> None:
    """The last resort behind the parameter types: the driver's OverflowError (SQLite) or DataError (PostgreSQL)."""
    app = client.app
    assert isinstance(app, FastAPI)

    def too_big(session: SessionDep) -> dict[str, object]:
        return {"value": session.execute(text("SELECT CAST(:v AS BIGINT)"), {"v": 2**70}).scalar_one()}

    app.add_api_route("/api/v1/too-big", too_big)
    answer = client.get("/api/v1/too-big")
    assert answer.status_code == 422, answer.text
    assert answer.json() == {"error": OUT_OF_RANGE, "detail": None}


def test_every_reason_a_parameter_type_gives_has_a_chinese_translation() -> None:
    from recoup.web.i18n import catalogue
    from recoup.web.params import VALUE_REASONS

    assert [reason for reason in VALUE_REASONS if reason not in catalogue("zh_CN")] == []
