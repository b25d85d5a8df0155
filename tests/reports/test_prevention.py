"""Prevention lists (issue 14) on SQLite and PostgreSQL: every count equals the hand count of generated
data; acknowledging is an audit entry that marks the entry; the API, the page and the report carry the lists.
The pure rules (bursts, stand-out rates) against brute force with hypothesis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from tests.reports.prevention_world import FIRST, LAST, MERCHANT, NOW, T1, T2, generate, store
from tests.reports.prevention_world import expected as hand_count
from tests.support.factories import World, token_for
from tests.support.web_login import log_in

from recoup.audit.models import AuditEntry
from recoup.auth.models import User
from recoup.auth.principal import Principal
from recoup.auth.roles import Role
from recoup.auth.service import principal_for
from recoup.errors import InvalidInput, NotFound, RecoupError
from recoup.reports import prevention_rules as rules
from recoup.reports.prevention import acknowledge
from recoup.reports.service import prevention, summary
from recoup.web.deps import current_time


def _principal(world: World, tenant: str = "A", role: Role = Role.ADMIN) -> Principal:
    with world.database.unit_of_work() as session:
        user = session.execute(select(User).where(User.username == World.username(tenant, role))).scalar_one()
        return principal_for(session, user, "test")


@pytest.mark.parametrize("seed", [1, 2])
def test_every_list_count_equals_the_hand_count(world: World, seed: int) -> None:
    lines = generate(seed)
    store(world, lines)
    with world.database.unit_of_work() as session:
        _, rows = prevention(session, _principal(world), FIRST, LAST, now=NOW)
    got = {(row.list, row.subject): row.count for row in rows}
    assert got == hand_count(lines)
    assert all(row.merchant_id == MERCHANT for row in rows if row.list != "firmware")
    with world.database.unit_of_work() as session:  # tenant B sees none of A's lists
        _, other = prevention(session, _principal(world, "B"), FIRST, LAST, now=NOW)
    assert [row for row in other if row.list != "maintenance"] == []


def test_acknowledging_is_audited_and_marks_the_entry(world: World) -> None:
    store(world, generate(3))
    admin, cashier = _principal(world), _principal(world, role=Role.CASHIER)
    key = f"maintenance:{MERCHANT}:{T1}"  # never maintained: always on the list
    with world.database.unit_of_work() as session:
        with pytest.raises(InvalidInput, match="note"):
            acknowledge(session, admin, key, "   ", NOW)
        with pytest.raises(RecoupError, match="may not"):
            acknowledge(session, cashier, key, "done", NOW)
        with pytest.raises(InvalidInput, match="key"):
            acknowledge(session, admin, "nonsense", "done", NOW)
    with world.database.unit_of_work() as session:
        with pytest.raises(NotFound):
            acknowledge(session, _principal(world, "B"), key, "not mine", NOW)
    with world.database.unit_of_work() as session:
        acknowledge(session, admin, key, "serviced on 2026-03-12, card 4111111111111111", NOW)
    with world.database.unit_of_work() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "prevention.acknowledge")).scalar_one()
        assert (entry.object_id, entry.actor) == (key, admin.username)
        assert "4111111111111111" not in entry.note
        assert "serviced" in entry.note
        report = summary(session, admin, FIRST, LAST, now=NOW)
    marked = {row.key: row for row in report.prevention}
    assert marked[key].acknowledged_by == admin.username
    assert "serviced" in marked[key].note
    assert all(not row.acknowledged_by for row in report.prevention if row.key != key)


def test_page_api_and_report_show_the_lists(client: TestClient, world: World) -> None:
    lines = generate(4)
    store(world, lines)
    client.app.dependency_overrides[current_time] = lambda: NOW  # type: ignore[attr-defined]
    period = f"from={FIRST.isoformat()}&to={LAST.isoformat()}"
    csrf = log_in(client, "a-admin")
    page = client.get(f"/reports/prevention?{period}")
    assert page.status_code == 200
    assert "需要维护的终端" in page.text  # the list's name in Chinese
    assert f'data-key="maintenance:{MERCHANT}:{T2}"' in page.text or ("maintenance", T2) not in hand_count(lines)
    assert 'href="/transactions?from=2026-03-01&amp;to=2026-03-10&amp;merchant=' in page.text
    key = f"maintenance:{MERCHANT}:61027889"  # never maintained: always on the list
    answer = client.post("/reports/prevention/ack", data={"key": key, "note": "booked", "csrf_token": csrf,
                                                          "back": period}, follow_redirects=True)
    assert answer.status_code == 200
    assert "booked" in answer.text
    assert 'class="prevention-entry acknowledged"' in answer.text
    bearer = {"Authorization": f"Bearer {token_for(world.database, 'a-admin')}"}
    api = client.get(f"/api/v1/reports/prevention?{period}", headers=bearer)
    assert api.status_code == 200
    entries = {entry["key"]: entry for entry in api.json()["entries"]}
    assert entries[key]["acknowledged_by"] == "a-admin"
    assert entries[key]["count"] == -1
    assert {(e["list"], e["subject"]): e["count"] for e in entries.values()} == hand_count(lines)
    report = client.get(f"/api/v1/reports/summary?{period}", headers=bearer).json()
    assert [entry["key"] for entry in report["prevention"]] == list(entries)
    assert "需要维护的终端" in client.get(f"/reports?{period}").text  # the report's prevention table
    refused = client.post("/api/v1/reports/prevention/ack", json={"key": key, "note": ""}, headers=bearer)
    assert refused.status_code == 422
    assert "note" in refused.text


@given(st.lists(st.integers(0, 300), max_size=25), st.integers(1, 60))
def test_the_largest_burst_is_the_brute_force_one(minutes: list[int], window: int) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    moments = [start + timedelta(minutes=value) for value in minutes]
    most, first = rules.largest_burst(moments, timedelta(minutes=window))
    brute = max((sum(1 for b in moments if timedelta(0) <= b - a <= timedelta(minutes=window)) for a in moments),
                default=0)
    assert most == brute
    if moments:
        assert first is not None
        assert sum(1 for b in moments if timedelta(0) <= b - first <= timedelta(minutes=window)) == most


@given(st.integers(0, 50), st.integers(0, 500), st.integers(0, 50), st.integers(0, 500))
def test_a_rate_stands_out_only_at_twice_the_others(found: int, txns: int, other_found: int, other_txns: int) -> None:
    out = rules.stands_out(found, txns, [(other_found, other_txns)])
    if found < rules.MIN_FINDINGS or txns < rules.MIN_TRANSACTIONS or other_txns == 0:
        assert not out
    else:
        assert out == (found / txns >= 2 * other_found / other_txns - 1e-12)
