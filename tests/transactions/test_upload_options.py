"""The upload form's limits, declared once for the API and the page: a bad year is refused by both, as JSON
by the API and as a page with a clear message (in Chinese and in English) by the upload page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.support.factories import World, token_for
from tests.support.journals import journal_bytes
from tests.support.web_login import log_in

from recoup.auth.roles import Role
from recoup.transactions.models import ImportBatch

ADMIN = World.username("A", Role.ADMIN)
BAD_YEARS = {"abcd": "valid integer", "1969": "greater than or equal to 1970", "2101": "less than or equal to 2100"}
BAD_YEARS_ZH = {"abcd": "必须是整数", "1969": "必须大于或等于 1970", "2101": "必须小于或等于 2100"}


def batches(world: World) -> int:
    with world.database.unit_of_work() as session:
        return int(session.execute(select(func.count()).select_from(ImportBatch)).scalar_one())


@pytest.mark.parametrize(("locale", "title", "reasons"), [("zh_CN", "输入无效", BAD_YEARS_ZH),
                                                         ("en", "Invalid input", BAD_YEARS)])
def test_the_page_refuses_a_bad_year_with_a_clear_message(world: World, client: TestClient, locale: str,
                                                          title: str, reasons: dict[str, str]) -> None:
    csrf = log_in(client, ADMIN, locale, page="/imports")
    for path in ("/imports", "/imports/jobs"):
        for year, reason in reasons.items():
            answer = client.post(path, data={"kind": "iso8583", "year": year, "csrf_token": csrf},
                                 files={"file": ("switch.log", b"0200\n", "text/plain")})
            assert answer.status_code == 422
            assert answer.headers["content-type"].startswith("text/html")
            assert title in answer.text
            alert = answer.text.split('role="alert">')[1].split("<")[0]
            assert alert.startswith("year: "), alert
            assert reason in alert
    assert batches(world) == 0


def test_the_page_takes_an_empty_year_as_none_given(world: World, client: TestClient) -> None:
    csrf = log_in(client, ADMIN, "en", page="/imports")
    answer = client.post("/imports", data={"kind": "journal", "year": "", "csrf_token": csrf},
                         files={"file": ("j.csv", journal_bytes(2), "text/csv")})
    assert answer.status_code == 200, answer.text
    assert 'data-testid="import-imported">2<' in answer.text


def test_the_api_refuses_the_same_years_as_json(world: World, client: TestClient) -> None:
    headers = {"Authorization": f"Bearer {token_for(world.database, ADMIN)}"}
    for year in BAD_YEARS:
        answer = client.post("/api/v1/imports", data={"kind": "iso8583", "year": year}, headers=headers,
                             files={"file": ("switch.log", b"0200\n", "text/plain")})
        assert answer.status_code == 422
        assert [problem["field"] for problem in answer.json()["detail"]] == ["body.year"]
    assert batches(world) == 0
