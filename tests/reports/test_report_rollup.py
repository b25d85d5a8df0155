"""The daily journal rollups (recoup.reports.rollup) never change a number: on random journals, refreshed
at random points, the summary (and the prevention lists' counts) read through the rollups equal the ones
counted from the journal alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from tests.support.factories import World
from tests.support.report_world import (
    A2_MERCHANT,
    A2_TERMINAL,
    FIRST,
    LAST,
    NOW,
    SHANGHAI,
    add_second_merchant,
    generate,
    store,
)

from recoup.auth.models import User
from recoup.auth.principal import Principal
from recoup.auth.roles import Role
from recoup.auth.service import principal_for
from recoup.reports import prevention_repository as prevent
from recoup.reports import repository as sql
from recoup.reports import rollup
from recoup.reports.prevention_rules import refund_bursts
from recoup.reports.rules import DEFAULT_ZONE, check_period
from recoup.reports.service import summary
from recoup.reports.summary import Summary
from recoup.transactions.models import JournalLine

MERCHANT_A, TERMINAL_A = "898301054111439", "61027889"
PLACES = ((MERCHANT_A, TERMINAL_A), (MERCHANT_A, "61027777"), (A2_MERCHANT, A2_TERMINAL))
_rrn = count(900_000_000_000)

line_strategy = st.tuples(st.sampled_from(PLACES), st.integers(-3, 12), st.sampled_from(["c01", "c02", "c09", ""]),
                          st.sampled_from(["CNY", "CNY", "USD"]), st.sampled_from(["A", "B"]),
                          st.sampled_from(["SALE", "SALE", "REFUND", "VOID"]), st.integers(1, 500_000))
Line = tuple[tuple[str, str], int, str, str, str, str, int]


def _admin(world: World) -> Principal:
    with world.database.unit_of_work() as session:
        user = session.execute(select(User).where(User.username == World.username("A", Role.ADMIN))).scalar_one()
        return principal_for(session, user, "test")


def _report(world: World, principal: Principal, merchant: str | None = None, direct: bool = False) -> Summary:
    """The summary; `direct`: with the rollups emptied in this (rolled back) transaction: the journal alone."""
    with world.database.unit_of_work() as session:
        if direct:
            for table in rollup.TABLES:
                session.execute(delete(table))
        found = summary(session, principal, FIRST, LAST, merchant_id=merchant, now=NOW)
        session.rollback()
        return found


def _add(world: World, lines: list[Line]) -> None:
    with world.database.unit_of_work() as session:
        for (merchant, terminal), day, cashier, currency, tenant, kind, amount in lines:
            local = datetime(FIRST.year, FIRST.month, FIRST.day, 23, 59, tzinfo=SHANGHAI) + timedelta(days=day)
            session.add(JournalLine(
                tenant_id=world.tenants[tenant].id, merchant_id=merchant, terminal_id=terminal,
                txn_time=local.astimezone(UTC), local_date=local.date(), txn_type=kind, status="APPROVED",
                amount_minor=amount, currency=currency, rrn=f"{next(_rrn):012d}", stan="000001", cashier_id=cashier))


@pytest.fixture
def principal(world: World) -> Principal:
    add_second_merchant(world)
    store(world, generate(seed=21))
    return _admin(world)


def test_the_rollups_change_no_number(world: World, principal: Principal) -> None:
    direct = _report(world, principal)  # nothing rolled up yet: every line counted from the journal
    assert direct.totals.transactions > 0
    assert rollup.refresh(world.database, chunk=50) > 0  # many small transactions, as a first build does
    assert rollup.refresh(world.database) == 0  # nothing new
    assert _report(world, principal) == direct
    assert _report(world, principal, MERCHANT_A) == _report(world, principal, MERCHANT_A, direct=True)


def _journal_numbers(world: World, merchant: str | None, direct: bool = False) -> tuple[object, ...]:
    """What the summary reads of the journal: totals, worst terminals, cashiers and merchants."""
    period = check_period(FIRST, LAST, DEFAULT_ZONE)
    scope = sql.Scope(world.tenants["A"].id, (merchant,) if merchant else None, "CNY")
    with world.database.unit_of_work() as session:
        if direct:
            for table in rollup.TABLES:
                session.execute(delete(table))
        found = (sql.period_totals(session, scope, period, period.as_of(NOW)),
                 sql.worst_terminals(session, scope, period), sql.worst_cashiers(session, scope, period),
                 sql.worst_merchants(session, scope, period), prevent.terminal_facts(session, scope, period),
                 refund_bursts(prevent.burst_refunds(session, scope, period), {}),
                 sorted(prevent.large_refunds(session, scope, period, 1.5, 1), key=repr))
        session.rollback()
        return found


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(line_strategy, max_size=25), st.lists(line_strategy, max_size=25))
def test_rolled_up_and_tail_lines_add_up(world: World, principal: Principal,
                                         before: list[Line], after: list[Line]) -> None:
    _add(world, before)
    rollup.refresh(world.database)
    _add(world, after)  # past the watermark: counted directly
    for merchant in (None, A2_MERCHANT):
        assert _journal_numbers(world, merchant) == _journal_numbers(world, merchant, direct=True)
