"""The workplace queries on both engines with a fixed clock: whose cases, overdue and due today in the merchant's
zone, new findings since the visit before this one, the merchant's week, disputes due soon, tenant scoping."""

from __future__ import annotations

from datetime import timedelta

from tests.support.factories import World
from tests.workplace.workplace_data import (
    NOW,
    add_case,
    add_dispute,
    add_finding,
    add_recovery,
    principal,
    username,
)

from recoup.auth.roles import Role
from recoup.workplace.queue import QueueRow, case_queue, disputes_due, new_findings, week_money
from recoup.workplace.visits import record_visit

ZONE = "Asia/Shanghai"


def _numbers(rows: list[QueueRow]) -> list[str]:
    return [row.number for row in rows]


def test_each_role_gets_its_queue_by_deadline_overdue_and_due_today_in_the_merchants_day(world: World) -> None:
    with world.database.unit_of_work() as session:
        overdue = add_case(session, world, deadline=NOW - timedelta(hours=1))
        older = add_case(session, world, deadline=NOW - timedelta(days=2), kind="DUPLICATE_CHARGE")
        today = add_case(session, world, deadline=NOW + timedelta(hours=3))  # 21:00 in Shanghai
        # 17:00 UTC is still "today" in UTC, but 01:00 tomorrow for the merchant: later, not due today.
        later = add_case(session, world, deadline=NOW + timedelta(hours=7))
        add_case(session, world, deadline=NOW - timedelta(days=1), state="CLOSED")  # the clock stopped
        theirs = add_case(session, world, deadline=NOW - timedelta(hours=2), owner="someone-else")
        mine = add_case(session, world, deadline=NOW + timedelta(days=3), owner=username(Role.MERCHANT_FINANCE))
        support = add_case(session, world, deadline=NOW - timedelta(hours=5), rung="PROVIDER_SUPPORT",
                           owner="a-colleague", owner_role="provider_support")
        other_tenant = add_case(session, world, tenant="B", deadline=NOW - timedelta(hours=1))

        finance = case_queue(session, principal(session, username(Role.MERCHANT_FINANCE)), NOW, ZONE)
        assert _numbers(finance.overdue) == [older.number, overdue.number]  # the longest overdue first
        assert _numbers(finance.today) == [today.number]
        assert _numbers(finance.later) == [later.number, mine.number]
        assert (finance.overdue_count, finance.today_count, finance.later_count) == (2, 1, 2)
        row = finance.overdue[0]
        assert (row.merchant_name, row.zone, row.kind, row.at_stake_minor) == ("商户A", ZONE, "DUPLICATE_CHARGE",
                                                                                 115200)

        # support owns its rung, named owner or not; the admin and the auditor see every open case
        rung = case_queue(session, principal(session, username(Role.PROVIDER_SUPPORT)), NOW, ZONE)
        assert _numbers(rung.overdue) == [support.number]
        assert (rung.today_count, rung.later_count) == (0, 0)
        for role in (Role.ADMIN, Role.AUDITOR):
            everything = case_queue(session, principal(session, username(role)), NOW, ZONE)
            assert _numbers(everything.overdue) == [older.number, support.number, theirs.number, overdue.number]
            assert everything.overdue_count == 4
            assert other_tenant.number not in _numbers(everything.overdue + everything.today + everything.later)
        cashier = case_queue(session, principal(session, username(Role.CASHIER)), NOW, ZONE)
        assert (cashier.overdue_count, cashier.today_count, cashier.later_count) == (0, 0, 0)
        other = case_queue(session, principal(session, username(Role.ADMIN, "B")), NOW, ZONE)
        assert _numbers(other.overdue) == [other_tenant.number]


def test_new_findings_are_those_since_the_visit_before_this_one(world: World) -> None:
    with world.database.unit_of_work() as session:
        finance = principal(session, username(Role.MERCHANT_FINANCE))
        add_finding(session, world, kind="OVERCHARGE", seen_at=NOW - timedelta(days=10))  # older than a week
        add_finding(session, world, kind="OVERCHARGE", seen_at=NOW - timedelta(days=2))
        add_finding(session, world, kind="OVERCHARGE", tenant="B", seen_at=NOW - timedelta(days=1))

        first = record_visit(session, finance, NOW)
        assert first.previous_seen_at is None  # a first visit: the last seven days count as new
        assert new_findings(session, finance, NOW - timedelta(days=7)) == [("OVERCHARGE", 1)]

        add_finding(session, world, kind="DUPLICATE_CHARGE", seen_at=NOW + timedelta(hours=1))
        add_finding(session, world, kind="UNSETTLED", seen_at=NOW + timedelta(hours=1, minutes=5))
        add_finding(session, world, kind="UNSETTLED", seen_at=NOW + timedelta(hours=1, minutes=6))
        second = record_visit(session, finance, NOW + timedelta(hours=2))
        assert second.previous_seen_at == NOW
        assert new_findings(session, finance, NOW) == [("UNSETTLED", 2), ("DUPLICATE_CHARGE", 1)]

        reload = record_visit(session, finance, NOW + timedelta(hours=2, minutes=5))  # a reload: same visit
        assert reload == second

        third = record_visit(session, finance, NOW + timedelta(days=1))
        assert third.previous_seen_at == NOW + timedelta(hours=2)
        assert new_findings(session, finance, NOW + timedelta(hours=2)) == []
        # every user has their own marker
        assert record_visit(session, principal(session, username(Role.AUDITOR)), NOW).previous_seen_at is None


def test_the_weeks_money_counts_from_monday_in_the_merchants_zone(world: World) -> None:
    monday_local = NOW - timedelta(days=4, hours=18)  # 2026-11-16 00:00 in Shanghai = 11-15 16:00 UTC
    with world.database.unit_of_work() as session:
        add_case(session, world, deadline=NOW, at_stake_minor=10000, opened_at=monday_local + timedelta(hours=1))
        add_case(session, world, deadline=NOW, at_stake_minor=70000, opened_at=monday_local - timedelta(hours=1))
        recovered = add_case(session, world, deadline=NOW, at_stake_minor=5000, opened_at=monday_local)
        add_recovery(session, recovered, amount_minor=3000, confirmed_at=monday_local + timedelta(minutes=1))
        add_recovery(session, recovered, amount_minor=900, confirmed_at=monday_local - timedelta(minutes=1))
        add_recovery(session, recovered, amount_minor=1100, confirmed_at=None)  # not confirmed yet
        b_case = add_case(session, world, tenant="B", deadline=NOW, at_stake_minor=99900, opened_at=NOW)
        add_recovery(session, b_case, amount_minor=99900, confirmed_at=NOW)

        (week,) = week_money(session, principal(session, username(Role.MERCHANT_FINANCE)), NOW, ZONE)
        assert (week.currency, week.at_stake_minor, week.recovered_minor) == ("CNY", 15000, 3000)
        # on the Sunday before, in the merchant's zone, that week had not begun
        (before,) = week_money(session, principal(session, username(Role.ADMIN)), monday_local - timedelta(
            minutes=30), ZONE)
        assert (before.at_stake_minor, before.recovered_minor) == (70000, 900)


def test_disputes_due_in_three_days_or_less_of_the_merchants_day(world: World) -> None:
    today = (NOW + timedelta(hours=8)).date()  # 2026-11-20 in Shanghai
    with world.database.unit_of_work() as session:
        case = add_case(session, world, deadline=NOW + timedelta(days=20), rung="SCHEME_DISPUTE",
                        owner_role="acquirer_ops")
        soon = add_dispute(session, case, due_on=today + timedelta(days=3))
        add_dispute(session, case, due_on=today + timedelta(days=4))
        add_dispute(session, case, due_on=today + timedelta(days=1), state="RESPONDED")
        late = add_dispute(session, case, due_on=today - timedelta(days=1))
        b_case = add_case(session, world, tenant="B", deadline=NOW, rung="SCHEME_DISPUTE", owner_role="acquirer_ops")
        add_dispute(session, b_case, due_on=today)

        found = disputes_due(session, principal(session, username(Role.ACQUIRER_OPS)), NOW, ZONE)
        assert [(row.dispute_id, row.days_left) for row in found] == [(late.id, -1), (soon.id, 3)]
        assert {(row.case_number, row.merchant_name) for row in found} == {(case.number, "商户A")}
