"""The findings list page (/findings) and API (/api/v1/findings) as a person and a client use them: both
languages, a filter by the card's last four, pages that keep the filters, bad input answered on the page.
SQLite only (the query itself runs on both engines in test_findings_list_service.py)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from tests.cases.test_case_pages_workplace import log_in, visible_text, words_problems
from tests.reconciliation.test_findings_list_service import build_findings
from tests.support.factories import World, token_for

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr data-finding="([^"]+)"', page)


@SQLITE
def test_the_chinese_page_shows_words_dates_and_money_and_finds_a_card(client: TestClient, world: World) -> None:
    lines = build_findings(world)
    log_in(client, "a-admin", "zh_CN")
    page = client.get("/findings").text
    kinds = page.split('<select name="kind"')[1].split("</select>")[0]
    assert ">多收</option>" in kinds  # the kind is chosen in the user's language, never typed as a code
    text = visible_text(page)
    assert words_problems(text, "zh_CN") == []
    assert "2026-11-06" in text  # the newest finding's day, in the merchant's zone
    assert "¥105.00" in text  # charged, with the currency's symbol
    assert "星巴克 国贸店" in text  # merchants by name
    assert "共 6 个" in text
    found = client.get("/findings?last4=0218").text
    assert _rows(found) == ["F-0000"]
    assert f'href="/transactions/{lines["journal"]}"' in found
    assert 'href="/cases/RC-2026-000901"' in found
    assert 'value="0218"' in found  # the form keeps the filter


@SQLITE
def test_the_english_page_pages_by_fifty_and_keeps_the_filters(client: TestClient, world: World) -> None:
    build_findings(world, count=107)
    log_in(client, "a-admin", "en")
    first = client.get("/findings?merchant=商户A&sort=-charged").text
    assert "Page 1 of 3" in visible_text(first)
    assert words_problems(visible_text(first), "en") == []
    assert ">Overcharge" in first.split('<select name="kind"')[1]
    following = re.search(r'href="(/findings\?[^"]+)" rel="next"', first)
    assert following is not None
    second = client.get(following.group(1).replace("&amp;", "&")).text
    assert "Page 2 of 3" in visible_text(second)
    assert _rows(first)[0] == "F-0106"  # the largest charged amount first
    assert len(_rows(second)) == 50
    assert not set(_rows(first)) & set(_rows(second))
    assert "F-0001" not in _rows(first) + _rows(second)  # the other merchant's finding is filtered out


@SQLITE
@pytest.mark.parametrize(("locale", "says"), [("zh_CN", ["请用数字填写金额", "请按 年-月-日 填写日期"]),
                                              ("en", ["write the amount in digits", "write the date as YYYY-MM-DD"])])
def test_bad_input_is_answered_next_to_its_field_in_the_users_language(client: TestClient, world: World,
                                                                        locale: str, says: list[str]) -> None:
    build_findings(world)
    log_in(client, "a-admin", locale)
    answer = client.get("/findings", params={"min_charged": "两千", "date_from": "20/11/2026", "terminal": "61027889"})
    assert answer.status_code == 200
    page = answer.text
    charged = page.split('name="min_charged"')[1].split("</label>")[0]
    assert 'value="两千"' in charged  # what was typed stays in the form
    assert says[0] in charged  # the message sits next to its field
    assert says[1] in page.split('name="date_from"')[1].split("</label>")[0]
    assert "F-0001" not in _rows(page)  # the other filters still apply (finding 1 is on another terminal)
    assert len(_rows(page)) == 5
    assert "<nav" in page  # the menu stays


@SQLITE
def test_the_api_keeps_its_parameters_and_takes_the_new_ones(client: TestClient, world: World) -> None:
    build_findings(world)
    headers = {"Authorization": f"Bearer {token_for(world.database, 'a-admin')}"}
    legacy = client.get("/api/v1/findings", params={"min_amount": "3", "max_amount": "4.00"}, headers=headers).json()
    assert [item["finding_id"] for item in legacy["items"]] == ["F-0004", "F-0003"]  # kind order: OVER < UNDER
    new = client.get("/api/v1/findings", params={"last4": "0218", "sort": "-day", "min_charged": "100"},
                     headers=headers).json()
    assert [item["finding_id"] for item in new["items"]] == ["F-0000"]
    refused = client.get("/api/v1/findings", params={"sort": "password"}, headers=headers)
    assert refused.status_code == 422
    assert "sort" in refused.json()["error"]
