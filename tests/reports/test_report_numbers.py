"""The report's numbers (issue 14): every number of the JSON equals the one counted by hand from a generated
world with known content, on SQLite and PostgreSQL; scope, bad input and the API's refusals."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from tests.support.factories import OBJECTS, World, token_for
from tests.support.report_world import (
    A2_MERCHANT,
    FIRST,
    LAST,
    NOW,
    Records,
    Seen,
    add_second_merchant,
    assert_same,
    expected,
    generate,
    store,
)

from recoup.auth.models import User
from recoup.auth.roles import Role
from recoup.auth.service import principal_for
from recoup.errors import InvalidInput, NotFound
from recoup.reports import rules
from recoup.reports.charts import Text
from recoup.reports.dashboard import role_charts
from recoup.reports.service import summary
from recoup.reports.summary import to_json
from recoup.reports.tables import report_tables, translator
from recoup.web.deps import current_time

MA, MB = OBJECTS["A"][0], OBJECTS["B"][0]


@pytest.fixture
def records(world: World) -> Records:
    add_second_merchant(world)
    generated = generate(seed=14)
    store(world, generated)
    return generated


def report_of(world: World, username: str, merchant: str | None = None, first: date | None = FIRST,
              last: date | None = LAST, currency: str = "CNY") -> dict[str, object]:
    with world.database.unit_of_work() as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one()
        found = summary(session, principal_for(session, user, "test"), first, last, merchant_id=merchant,
                        currency=currency, now=NOW)
        return to_json(found)


def test_every_number_equals_the_hand_count(world: World, records: Records) -> None:
    got = report_of(world, World.username("A", Role.ADMIN))
    want = expected(records, Seen("A"))
    assert_same(got, want)
    totals = got["totals"]
    assert isinstance(totals, dict)
    # the world is not trivial: every table has rows, both periods have data, something is past its deadline
    assert totals["findings"] > 10
    assert totals["cases"] > 5
    assert totals["fees_lost"] > 0
    assert totals["open_past_deadline"] > 0
    assert totals["median_hours_to_recovery"] is not None
    assert got["previous"]["findings"] > 0  # type: ignore[index]
    assert all(got[name] for name in ("by_kind", "by_cause", "worst_terminals", "worst_cashiers"))
    assert sum(row["cases"] for row in got["ageing"]) > 0  # type: ignore[attr-defined, index]


def test_one_merchant_and_other_periods_and_currencies(world: World, records: Records) -> None:
    admin = World.username("A", Role.ADMIN)
    assert_same(report_of(world, admin, merchant=MA), expected(records, Seen("A", frozenset({MA}))))
    assert_same(report_of(world, admin, currency="USD"), expected(records, Seen("A", currency="USD")))
    first, last = date(2026, 2, 14), date(2026, 3, 15)  # the whole generated month, cases still open at NOW
    assert_same(report_of(world, admin, first=first, last=last), expected(records, Seen("A"), first, last))


def test_another_tenant_is_never_counted_and_a_cashier_sees_only_its_merchant(world: World,
                                                                               records: Records) -> None:
    assert_same(report_of(world, World.username("B", Role.ADMIN)), expected(records, Seen("B")))
    cashier = report_of(world, "a2-cashier")
    assert_same(cashier, expected(records, Seen("A", frozenset({A2_MERCHANT}))))
    assert {row["merchant_id"] for row in cashier["worst_terminals"]} == {A2_MERCHANT}  # type: ignore[attr-defined]
    everything = report_of(world, World.username("A", Role.ADMIN))
    assert cashier["totals"]["findings"] < everything["totals"]["findings"]  # type: ignore[index]


def test_the_worst_lists_name_their_merchants(world: World, records: Records) -> None:
    with world.database.unit_of_work() as session:
        ops = session.execute(select(User).where(User.username == World.username("A", Role.ACQUIRER_OPS))).scalar_one()
        charts = role_charts(session, principal_for(session, ops, "test"), NOW, "en")
        admin = session.execute(select(User).where(User.username == World.username("A", Role.ADMIN))).scalar_one()
        found = summary(session, principal_for(session, admin, "test"), FIRST, LAST, now=NOW)
    worst = next(chart for chart in charts if chart.key == "worst-merchants")
    labels = [shape.text for shape in worst.shapes if isinstance(shape, Text)]
    assert {"商户A", "商户A2"} & set(labels)  # by name, never a bare 15-digit id, never tenant B's
    assert not [label for label in labels if re.fullmatch(r"\d{15}", label)]
    assert "商户B" not in labels
    tables = {table.key: table for table in report_tables(found, translator("en"))}
    assert {row[1] for row in tables["worst_terminals"].rows} <= {"商户A", "商户A2"}
    assert {row[1] for row in tables["worst_cashiers"].rows} <= {"商户A", "商户A2"}


def test_a_merchant_out_of_sight_is_not_found(world: World, records: Records) -> None:
    with pytest.raises(NotFound):
        report_of(world, World.username("B", Role.ADMIN), merchant=MA)
    with pytest.raises(NotFound):
        report_of(world, "a2-cashier", merchant=MA)
    assert records.findings


def test_an_empty_range_is_a_valid_empty_report(world: World) -> None:
    got = report_of(world, World.username("A", Role.ADMIN), first=date(2030, 1, 1), last=date(2030, 1, 1))
    assert got["totals"]["findings"] == 0  # type: ignore[index]
    assert got["totals"]["recovery_rate"] == 0.0  # type: ignore[index]
    assert got["totals"]["median_hours_to_recovery"] is None  # type: ignore[index]
    assert got["by_day"] == [{"day": "2030-01-01", "findings": 0, "difference": 0.0}]
    assert [row["cases"] for row in got["ageing"]] == [0, 0, 0, 0]  # type: ignore[attr-defined, index]


@pytest.mark.parametrize(("first", "last", "words"), [
    (date(2026, 3, 2), date(2026, 3, 1), "is after"),
    (date(2016, 1, 1), date(2025, 12, 31), "at most 732 days"),
    (date(1900, 1, 1), date(1900, 1, 2), "a date from 1970-01-01"),
])
def test_bad_ranges_are_refused_with_a_clear_message(world: World, first: date, last: date, words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        report_of(world, World.username("A", Role.ADMIN), first=first, last=last)
    with pytest.raises(InvalidInput, match="unknown currency"):
        report_of(world, World.username("A", Role.ADMIN), currency="XYZ")


def _get(client: TestClient, token: str, query: str) -> tuple[int, dict[str, object]]:
    answer = client.get(f"/api/v1/reports/summary{query}", headers={"Authorization": f"Bearer {token}"})
    return answer.status_code, answer.json()


def test_api_answers_the_same_numbers_and_refuses_bad_input(client: TestClient, world: World,
                                                            records: Records) -> None:
    client.app.dependency_overrides[current_time] = lambda: NOW  # type: ignore[attr-defined]
    token = token_for(world.database, World.username("A", Role.ADMIN))
    status, body = _get(client, token, f"?from={FIRST}&to={LAST}")
    assert status == 200
    assert_same(body, expected(records, Seen("A")))
    assert isinstance(body["totals"]["amount_at_stake"], float)  # type: ignore[index]
    status, body = _get(client, token, "")  # no range: the last 30 days ending today (Shanghai) of the clock
    assert status == 200
    assert (body["from"], body["to"]) == ("2026-02-11", "2026-03-12")
    assert_same(body, expected(records, Seen("A"), date(2026, 2, 11), date(2026, 3, 12)))
    for query, code in [(f"?from={LAST}&to={FIRST}", 422), ("?from=2016-01-01&to=2025-12-31", 422),
                        ("?from=2026-13-01", 422), ("?currency=XYZ", 422), ("?currency=%3D1%2B1", 422),
                        (f"?merchant={MB}", 404), ("?merchant=%3Cscript%3E", 422)]:
        status, body = _get(client, token, query)
        assert status == code, (query, body)
        assert isinstance(body["error"], str), query
        assert body["error"], query


def test_api_cashier_of_another_merchant_gets_404(client: TestClient, world: World, records: Records) -> None:
    client.app.dependency_overrides[current_time] = lambda: NOW  # type: ignore[attr-defined]
    token = token_for(world.database, "a2-cashier")
    assert _get(client, token, f"?merchant={MA}")[0] == 404
    status, body = _get(client, token, f"?from={FIRST}&to={LAST}")
    assert status == 200
    assert_same(body, expected(records, Seen("A", frozenset({A2_MERCHANT}))))


# Pure rules --------------------------------------------------------------------------------------------

@given(st.dates(min_value=date(1970, 1, 1), max_value=date(2098, 12, 31)), st.integers(min_value=1, max_value=732))
def test_the_previous_period_has_the_same_length_and_ends_the_day_before(first: date, days: int) -> None:
    last = first + timedelta(days=days - 1)
    period = rules.check_period(first, last, "Asia/Shanghai")
    previous = period.previous()
    assert previous.days == period.days == days
    assert previous.last + timedelta(days=1) == period.first
    assert previous.end == period.start


@given(st.lists(st.floats(min_value=0, max_value=10_000, allow_nan=False), min_size=1, max_size=40))
def test_median_and_p90_stay_within_the_values(values: list[float]) -> None:
    median, p90 = rules.percentile(values, 0.5), rules.percentile(values, 0.9)
    assert median is not None
    assert p90 is not None
    assert round(min(values), 2) - 0.01 <= median <= p90 <= round(max(values), 2) + 0.01
    assert rules.percentile([], 0.5) is None


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10**12))
def test_rates_are_fractions_and_zero_without_a_base(part: int, whole: int) -> None:
    value = rules.rate(part, whole)
    assert value == (round(part / whole, 4) if whole else 0.0)
    assert rules.per_thousand(part, 0) == 0.0


@given(st.integers(min_value=0, max_value=60 * 24 * 100))
def test_age_buckets_follow_whole_days(minutes: int) -> None:
    as_of = datetime(2026, 3, 10, 16, tzinfo=UTC)
    bucket = rules.age_bucket(as_of - timedelta(minutes=minutes), as_of)
    days = minutes // (60 * 24)
    assert bucket == ("0-2d" if days <= 2 else "3-7d" if days <= 7 else "8-30d" if days <= 30 else ">30d")
    cutoffs = dict(rules.age_cutoffs(as_of))
    opened = as_of - timedelta(minutes=minutes)
    first_match = next(label for label, since in rules.age_cutoffs(as_of) if since is None or opened > since)
    assert first_match == bucket
    assert cutoffs[">30d"] is None


def test_the_default_range_is_thirty_local_days_ending_today() -> None:
    late_evening_utc = datetime(2026, 3, 31, 17, 0, tzinfo=UTC)  # already 1 April in Shanghai
    assert rules.default_range(late_evening_utc, "Asia/Shanghai") == (date(2026, 3, 3), date(2026, 4, 1))
