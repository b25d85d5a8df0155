"""The dispute pages without a browser: filters, words instead of codes, accept after a confirmation."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from tests.disputes.dispute_world import ops, sale_case
from tests.support.factories import PASSWORD, World

from recoup.db import utcnow
from recoup.disputes.service import OpenRequest, open_dispute


def _login(client: TestClient, username: str = "a-acquirer_ops") -> str:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)})
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/disputes").text)
    assert found is not None
    client.post("/lang", data={"locale": "en", "next": "/disputes", "csrf_token": found.group(1)})
    return found.group(1)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_list_filters_due_soon_and_accepting_needs_a_confirmation(client: TestClient, world: World) -> None:
    now = utcnow()  # the pages' own clock: sessions are checked against it
    number = sale_case(world, when=now - timedelta(days=3))
    today = now.astimezone(ZoneInfo("Asia/Shanghai")).date()
    with world.database.unit_of_work() as session:
        soon = open_dispute(session, ops(world), number, OpenRequest(
            "mastercard", "chargeback", "4834", "100.00", "MC-1", "", (today + timedelta(days=2)).isoformat()), now).id
    csrf = _login(client)
    listed = client.get("/disputes?due_soon=1").text
    assert f'href="/disputes/{soon}"' in listed
    assert "Chargeback" in listed
    assert "Mastercard" in listed
    assert "2 day(s) left" in listed
    assert ">CHARGEBACK<" not in listed
    assert "MASTERCARD" not in listed.replace('value="MASTERCARD"', "")
    assert f'href="/disputes/{soon}"' not in client.get("/disputes?state=ENDED").text
    page = client.get(f"/disputes/{soon}").text
    assert "confirm-accept" not in page
    confirming = client.get(f"/disputes/{soon}?confirm=accept").text
    assert "Accepting ends the dispute" in confirming
    key = re.search(r'name="idempotency_key" value="([^"]+)"', confirming)
    assert key is not None
    answer = client.post(f"/disputes/{soon}/accept", data={"csrf_token": csrf, "idempotency_key": key.group(1)},
                         follow_redirects=True)
    assert "Accepted" in answer.text
    assert "Ended" in answer.text
    again = client.post(f"/disputes/{soon}/accept", data={"csrf_token": csrf, "idempotency_key": key.group(1)},
                        follow_redirects=True)
    assert again.status_code == 200  # the same form sent twice: answered once
    assert f'href="/disputes/{soon}"' in client.get("/disputes?outcome=ACCEPTED").text
    assert f'href="/disputes/{soon}"' not in client.get("/disputes?outcome=EXPIRED").text
    refused = client.post(f"/disputes/{soon}/outcome", data={"csrf_token": csrf, "outcome": "WON"})
    assert refused.status_code == 409
    assert "has ended" in refused.text
