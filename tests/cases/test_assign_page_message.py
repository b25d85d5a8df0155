"""The case page's assignment form says what happened: a new owner, or that the case already had this one."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.cases.test_case_world import overcharge_case
from tests.support.factories import World
from tests.support.web_login import log_in

from recoup.auth.roles import Role
from recoup.cases.models import Case, CaseEvent

ADMIN = World.username("A", Role.ADMIN)
FINANCE = World.username("A", Role.MERCHANT_FINANCE)


def _assign(client: TestClient, number: str, csrf: str, owner: str) -> str:
    answer = client.post(f"/cases/{number}/assign", data={"username": owner, "csrf_token": csrf},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text
    shown = client.get(answer.headers["location"])
    assert shown.status_code == 200
    return shown.text


def _assignments(world: World, number: str) -> int:
    with world.database.unit_of_work() as session:
        case_id = session.execute(select(Case.id).where(Case.number == number)).scalar_one()
        return int(session.execute(select(func.count()).where(CaseEvent.case_id == case_id,
                                                              CaseEvent.event == "assigned")).scalar_one())


@pytest.mark.parametrize(("locale", "assigned", "unchanged"), [
    ("en", "Case assigned; the new owner sees it in their queue.",
     "The case already has this owner; nothing changed."),
    ("zh_CN", "案件已指派；新负责人会在其待办中看到。", "该案件的负责人已是此人；未做任何更改。"),
])
def test_giving_a_case_to_its_owner_again_says_nothing_changed(world: World, client: TestClient, locale: str,
                                                                assigned: str, unchanged: str) -> None:
    number = overcharge_case(world)
    csrf = log_in(client, ADMIN, locale, page=f"/cases/{number}")
    first = _assign(client, number, csrf, FINANCE)
    assert assigned in first
    assert unchanged not in first
    again = _assign(client, number, csrf, f" {FINANCE} ")
    assert unchanged in again
    assert assigned not in again
    assert _assignments(world, number) == 1
