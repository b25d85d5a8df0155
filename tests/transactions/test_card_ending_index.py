"""A payer at the support desk remembers the card ending and the amount or the day: those searches, and the
findings inbox's card filter, read the card ending index (0017) instead of every line of the tenant. The
planner is told to avoid whole-table reads (PostgreSQL) so that the plan shows which index fits the query,
whatever the handful of rows here would make it prefer."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from tests.cases.test_case_world import add_sale, principal
from tests.support.factories import World

from recoup.reconciliation.inbox import card_ending_lines
from recoup.transactions.search import build_filters, search_query

SEARCHES = [({"last4": "1234", "amount": "12.80"}, "ix_journal_card_last4"),
            ({"last4": "1234", "from": "2026-10-12", "to": "2026-10-12"}, "ix_journal_card_last4"),
            ({"in": "settlement", "last4": "1234"}, "ix_settlement_card_last4")]


def _plan(world: World, query: Any) -> str:
    engine = world.database.engine
    sql = str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return " | ".join(str(row[-1]) for row in connection.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
        connection.execute(text("SET LOCAL enable_seqscan = off"))  # this transaction only (rolled back)
        return " | ".join(str(row[0]) for row in connection.execute(text(f"EXPLAIN {sql}")))


@pytest.fixture
def sales(world: World) -> World:
    with world.database.unit_of_work() as session:
        for number in range(1, 6):
            add_sale(session, world.tenants["A"].id, f"40000000000{number}", 1280 * number)
    return world


@pytest.mark.parametrize(("asked", "index"), SEARCHES, ids=["card_amount", "card_day", "settlement_card"])
def test_a_search_by_card_ending_reads_its_index(sales: World, asked: dict[str, str], index: str) -> None:
    caller = principal(sales.database, "a-admin")  # tenant-wide, as the support desk searches
    query = search_query(caller, build_filters(asked, default_timezone="Asia/Shanghai"))
    assert index in _plan(sales, query)


def test_the_inbox_card_filter_reads_the_index_of_both_sources(sales: World) -> None:
    plan = _plan(sales, card_ending_lines(sales.tenants["A"].id, "1234"))
    assert "ix_journal_card_last4" in plan
    assert "ix_settlement_card_last4" in plan
