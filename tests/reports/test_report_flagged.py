"""The monthly rollups and the flagged lines (recoup.reports.rollup, recoup.reports.flagged) never change a
number: on random journals of refunds, voids, sales just under the no-PIN limit and cards that differ,
with the sale sometimes arriving after its refund, refreshed at a random point, every prevention list and
every journal count equals the one read from the journal alone, over a period of days and over periods
of whole months with days at either end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select
from tests.support.factories import World
from tests.support.report_world import A2_MERCHANT, A2_TERMINAL, SHANGHAI, add_second_merchant

from recoup.reports import prevention, rollup
from recoup.reports import repository as sql
from recoup.reports.models import FlaggedLine
from recoup.reports.prevention_rules import Entry, under_limit_band
from recoup.reports.rules import DEFAULT_ZONE, check_period, spans
from recoup.transactions.models import JournalLine

MERCHANT_A = "898301054111439"
PLACES = ((MERCHANT_A, "61027889"), (MERCHANT_A, "61027777"), (A2_MERCHANT, A2_TERMINAL))
NOW = datetime(2026, 5, 1, tzinfo=UTC)
PERIODS = ((date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 2, 27), date(2026, 4, 1)))
SLOTS = ((date(2026, 2, 28), 23), (date(2026, 3, 1), 0), (date(2026, 3, 15), 12), (date(2026, 3, 31), 23),
         (date(2026, 4, 1), 0))  # local day and hour: month ends and a local midnight's both sides
LOW, HIGH = under_limit_band()
CARDS = ((None, "1111"), (None, "2222"), ("tok1", "1111"), ("tok2", "2222"), ("tok1", "3333"))
_rrn = count(700_000_000_000)

line_strategy = st.fixed_dictionaries({
    "place": st.sampled_from(PLACES[:1] * 3 + PLACES[1:]), "slot": st.sampled_from(SLOTS),
    "minute": st.integers(0, 40), "kind": st.sampled_from(["SALE", "SALE", "REFUND", "REFUND", "VOID"]),
    "status": st.sampled_from(["APPROVED"] * 7 + ["DECLINED"]), "cashier": st.sampled_from(["c1", "c2", ""]),
    "card": st.sampled_from(CARDS),
    "amount": st.sampled_from([500, 3000, LOW - 1, LOW, LOW, HIGH, HIGH + 1, 2_000_000]),
    "orig": st.one_of(st.none(), st.integers(0, 40)), "currency": st.sampled_from(["CNY"] * 7 + ["USD"]),
})

_BASE = {"place": PLACES[0], "slot": SLOTS[2], "minute": 5, "kind": "SALE", "status": "APPROVED", "cashier": "c1",
         "card": CARDS[2], "amount": LOW, "orig": None, "currency": "CNY"}
SURE = [  # lines every example holds, in a random order among the random ones: each fraud-like list has entries
    *({**_BASE, "minute": minute, "amount": HIGH} for minute in (1, 20, 39)),  # under the limit, three times
    {**_BASE, "name": "sold", "amount": 3000},  # sold by c1 and voided by c1 four minutes later, twice
    {**_BASE, "kind": "VOID", "minute": 9, "orig": "sold", "amount": 3000},
    {**_BASE, "kind": "VOID", "minute": 15, "orig": "sold", "amount": 3000},  # ten minutes on: still counted
    {**_BASE, "name": "sold2", "minute": 30, "amount": 3000},
    {**_BASE, "kind": "VOID", "minute": 34, "orig": "sold2", "amount": 3000},
    *({**_BASE, "kind": "REFUND", "minute": minute, "amount": 500, "place": PLACES[2], "slot": SLOTS[1]}
      for minute in (0, 14, 29)),  # three refunds within half an hour, just after a local midnight
    {**_BASE, "kind": "REFUND", "orig": "sold", "card": CARDS[3], "amount": 2_000_000},  # large, to another card
]

def _orig(line: dict[str, Any], rrns: list[str], names: dict[str, str]) -> str:
    if line["orig"] is None or line["kind"] == "SALE":
        return ""
    return names[line["orig"]] if isinstance(line["orig"], str) else rrns[line["orig"] % len(rrns)]


def _add(world: World, lines: list[dict[str, Any]], rrns: list[str], first: int = 0,
         names: dict[str, str] | None = None) -> None:
    """Lines `first`.. of a load whose RRNs are `rrns` (an original RRN may name a line loaded later);
    `names`: the RRN of each named line."""
    names = names or {}
    with world.database.unit_of_work() as session:
        for offset, line in enumerate(lines):
            rrn = rrns[first + offset]
            merchant, terminal = line["place"]
            day, hour = line["slot"]
            local = datetime.combine(day, datetime.min.time(), SHANGHAI) + timedelta(hours=hour, minutes=line["minute"])
            token, last4 = line["card"]
            orig = _orig(line, rrns, names)
            session.add(JournalLine(
                tenant_id=world.tenants["A"].id, merchant_id=merchant, terminal_id=terminal,
                txn_time=local.astimezone(UTC), local_date=local.date(), txn_type=line["kind"],
                status=line["status"], amount_minor=line["amount"], currency=line["currency"], rrn=rrn,
                stan="000001", cashier_id=line["cashier"], card_token=token, card_last4=last4,
                card_masked=f"621700******{last4}", orig_rrn=orig))


def _numbers(world: World, direct: bool = False) -> list[object]:
    """Every prevention list and the journal's counts, per period and scope (`direct`: rollups emptied in
    this rolled-back transaction, so the journal alone)."""
    found: list[object] = []
    with world.database.unit_of_work() as session:
        if direct:
            for table in rollup.TABLES:
                session.execute(delete(table))
        for first, last in PERIODS:
            period = check_period(first, last, DEFAULT_ZONE)
            for merchants in (None, (A2_MERCHANT,)):
                scope = sql.Scope(world.tenants["A"].id, merchants, "CNY")
                entries: list[Entry] = prevention.entries(session, scope, period, NOW)
                sums = rollup.terminal_sums(session, scope, period)
                found += [entries, rollup.transactions(session, scope, period),
                          sorted(session.execute(select(sums)).tuples()),
                          sorted(session.execute(rollup.journal_counts(session, scope, period, "cashier")).tuples())]
        session.rollback()
    return found


@pytest.fixture
def places(world: World) -> World:
    add_second_merchant(world)
    return world


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(line_strategy, max_size=30), st.data())
def test_flagged_lines_and_months_change_no_list(places: World, noise: list[dict[str, Any]],
                                                 data: st.DataObject) -> None:
    world = places
    lines = data.draw(st.permutations(noise + SURE))
    rrns = [f"{next(_rrn):012d}" for _ in lines]
    names = {line["name"]: rrn for line, rrn in zip(lines, rrns, strict=True) if "name" in line}
    split = data.draw(st.integers(0, len(lines)))
    _add(world, lines[:split], rrns, 0, names)  # a refund's (or void's) sale may come in the second load
    rollup.refresh(world.database, chunk=data.draw(st.sampled_from([3, 1000])))
    _add(world, lines[split:], rrns, split, names)  # past the watermark: counted directly
    direct = _numbers(world, direct=True)
    listed = {entry.list_key for part in direct if isinstance(part, list) for entry in part if isinstance(entry, Entry)}
    assert {"under_limit", "void_after_sale", "refund_burst", "refund_other_card", "refund_large"} <= listed
    assert _numbers(world) == direct
    rollup.refresh(world.database)
    assert _numbers(world) == direct


def test_a_refund_to_another_card_whose_sale_comes_later_is_flagged(places: World) -> None:
    """The refund is loaded and rolled up first, its sale (on another card) in a later load: the pair is
    flagged by the refresh that brings the sale, and the list names the refund."""
    world = places
    refund = {"place": PLACES[0], "slot": SLOTS[2], "minute": 10, "kind": "REFUND",
              "status": "APPROVED", "cashier": "c1", "card": CARDS[3], "amount": 3000, "orig": 1, "currency": "CNY"}
    sale = {**refund, "kind": "SALE", "card": CARDS[2], "minute": 0, "orig": None}
    rrns = [f"{next(_rrn):012d}" for _ in range(2)]
    _add(world, [refund], rrns)
    rollup.refresh(world.database)
    _add(world, [sale], rrns, 1)  # the sale, whose RRN the refund names
    rollup.refresh(world.database)
    with world.database.unit_of_work() as session:
        pairs = session.execute(select(func.count()).select_from(FlaggedLine)
                                .where(FlaggedLine.pattern == "other_card")).scalar_one()
        period = check_period(date(2026, 3, 1), date(2026, 3, 31), DEFAULT_ZONE)
        listed = [entry for entry in prevention.entries(session, sql.Scope(world.tenants["A"].id, None, "CNY"),
                                                        period, NOW) if entry.list_key == "refund_other_card"]
    assert pairs == 1
    assert [(entry.subject, entry.count, entry.examples) for entry in listed] == [(PLACES[0][1], 1, (rrns[0],))]


@given(st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.integers(0, 800))
def test_spans_cover_each_day_once_with_whole_months(first: date, length: int) -> None:
    last = first + timedelta(days=length)
    covered: list[date] = []
    for monthly, low, high in spans(first, last):
        day = low
        while day <= high:
            if monthly:
                assert day.day == 1
                after = (day + timedelta(days=32)).replace(day=1)
                covered += [day + timedelta(days=offset) for offset in range((after - day).days)]
                day = after
            else:
                covered.append(day)
                day += timedelta(days=1)
    assert covered == [first + timedelta(days=offset) for offset in range(length + 1)]
