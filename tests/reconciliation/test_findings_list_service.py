"""The findings list's query (recoup.reconciliation.inbox.finding_page), on SQLite and PostgreSQL: every filter
a person knows, sorting by each shown column, pages of 50 that cover every finding once, counts by kind, each
row's transaction and case, and the caller's scope."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from tests.cases.test_case_world import MERCHANT_A, MERCHANT_B, TERMINAL_A, TERMINAL_B, admin, principal
from tests.support.factories import World

from recoup.auth.roles import Role
from recoup.cases.models import Case
from recoup.merchants.models import Merchant, Terminal
from recoup.reconciliation.api import FindingOut, finding_json
from recoup.reconciliation.inbox import PAGE_SIZE, FindingFilter, finding_page, list_findings
from recoup.reconciliation.models import ReconciliationRun, StoredFinding
from recoup.transactions.models import JournalLine, SettlementLine

START = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
MERCHANT_A2, TERMINAL_A2 = "898301054111440", "61027890"
KINDS = ("OVERCHARGE", "DUPLICATE_CHARGE", "UNSETTLED", "UNDERCHARGE")


def _finding(tenant_id: int, run_id: int, n: int, **values: object) -> StoredFinding:
    """Finding n: kinds in turn, one day apart, charged 100.00 + n, at stake n.00 (signs alternate)."""
    charged = 10000 + 100 * n
    difference = 100 * n if n % 2 == 0 else -100 * n
    fields: dict[str, object] = {
        "tenant_id": tenant_id, "finding_id": f"F-{n:04d}", "run_id": run_id, "last_run_id": run_id,
        "kind": KINDS[n % 4],
        "cause": "EXTRA_DIGIT" if n % 4 == 0 else None, "merchant_id": MERCHANT_A, "terminal_id": TERMINAL_A,
        "rrn": f"{500000000000 + n}", "related_rrn": "", "order_no": "", "charged_minor": charged,
        "expected_minor": charged - difference, "difference_minor": difference, "currency": "CNY",
        "explanation": "多收 / Overcharged", "txn_time": START + timedelta(days=n), "first_seen_at": START}
    fields.update(values)
    return StoredFinding(**fields)


def build_findings(world: World, count: int = 6) -> dict[str, int]:
    """Tenant A: `count` findings of merchant A (a second merchant "星巴克 国贸店" gets finding 1), the journal
    line of finding 0 (card ending 0218) and the settlement line of finding 2; a case for findings 0 and 3;
    tenant B: one finding."""
    a, b = world.tenants["A"].id, world.tenants["B"].id
    with world.database.unit_of_work() as session:
        session.add(Merchant(merchant_id=MERCHANT_A2, tenant_id=a, name="星巴克 国贸店", mcc="5814"))
        session.flush()
        session.add(Terminal(terminal_id=TERMINAL_A2, merchant_id=MERCHANT_A2, tenant_id=a))
        runs = [ReconciliationRun(tenant_id=tenant, run_by="test") for tenant in (a, b)]
        session.add_all(runs)
        session.flush()
        findings = [_finding(a, runs[0].id, n) for n in range(count)]
        findings[1].merchant_id, findings[1].terminal_id = MERCHANT_A2, TERMINAL_A2
        findings[1].related_rrn = "600000000001"
        findings.append(_finding(b, runs[1].id, 99, merchant_id=MERCHANT_B, terminal_id=TERMINAL_B))
        session.add_all(findings)
        journal = JournalLine(tenant_id=a, merchant_id=MERCHANT_A, terminal_id=TERMINAL_A, txn_time=START,
                              local_date=date(2026, 11, 1), txn_type="SALE", status="APPROVED", amount_minor=10000,
                              currency="CNY", rrn=findings[0].rrn, stan="000001", card_masked="622848******0218",
                              card_last4="0218")
        settled = SettlementLine(tenant_id=a, settle_date=date(2026, 11, 4), merchant_id=MERCHANT_A, mcc="5411",
                                 terminal_id=TERMINAL_A, txn_time=START + timedelta(days=2),
                                 local_date=date(2026, 11, 3), txn_type="SALE", rrn=findings[2].rrn,
                                 card_masked="622848******7777", card_last4="7777", amount_minor=10200, fee_minor=0,
                                 net_minor=10200, currency="CNY")
        session.add_all([journal, settled])
        session.flush()
        case = _case(a, "RC-2026-000901", findings[0].rrn)
        session.add_all([case, _case(a, "RC-2026-000902", findings[3].rrn)])
        session.flush()
        findings[0].case_id = case.id  # finding 3 names no case: its case is found by merchant and RRN
        return {"journal": journal.id, "settlement": settled.id}


def _case(tenant_id: int, number: str, rrn: str) -> Case:
    return Case(number=number, tenant_id=tenant_id, merchant_id=MERCHANT_A, terminal_id=TERMINAL_A,
                kind="OVERCHARGE", direction="MERCHANT_OWES_PAYER", currency="CNY", rrn=rrn, state="OPEN",
                rung="MERCHANT", rung_started_at=START, deadline_at=START + timedelta(days=30), opened_by="test")


def _ids(world: World, wanted: FindingFilter, tenant: str = "A", page: int = 1) -> list[str]:
    with world.database.unit_of_work() as session:
        found = finding_page(session, admin(world, tenant), wanted, page)
        return [row.finding.finding_id for row in found.rows]


FILTERS: list[tuple[FindingFilter, list[str]]] = [
    (FindingFilter(rrn="500000000004"), ["F-0004"]),
    (FindingFilter(rrn="600000000001"), ["F-0001"]),  # the related RRN
    (FindingFilter(last4="0218"), ["F-0000"]),  # the journal's card
    (FindingFilter(last4="7777"), ["F-0002"]),  # the settlement's card
    (FindingFilter(last4="9999"), []),
    (FindingFilter(terminal_id=TERMINAL_A2), ["F-0001"]),
    (FindingFilter(merchant="星巴克"), ["F-0001"]),  # part of the name
    (FindingFilter(merchant=MERCHANT_A2), ["F-0001"]),  # the id
    (FindingFilter(merchant="50%_"), []),  # wildcards are text
    (FindingFilter(kind="undercharge"), ["F-0003"]),
    (FindingFilter(cause="EXTRA_DIGIT"), ["F-0004", "F-0000"]),
    # 2026-11-03 04:00 UTC is 12:00 that day in Shanghai; a day is the merchant's local day
    (FindingFilter(date_from=date(2026, 11, 3), date_to=date(2026, 11, 4)), ["F-0003", "F-0002"]),
    (FindingFilter(date_from=date(2026, 11, 5)), ["F-0005", "F-0004"]),
    (FindingFilter(min_charged_minor=10300, max_charged_minor=10400), ["F-0004", "F-0003"]),  # what was charged
    (FindingFilter(min_minor=300, max_minor=400), ["F-0004", "F-0003"]),  # at stake: the absolute difference
    (FindingFilter(min_minor=500), ["F-0005"]),
    (FindingFilter(min_charged_minor=10500), ["F-0005"]),
    (FindingFilter(merchant="星巴克", kind="OVERCHARGE"), []),  # filters add up
]


def test_each_filter_finds_what_a_person_means(world: World) -> None:
    build_findings(world)
    found = {str(wanted): _ids(world, wanted) for wanted, _ in FILTERS}
    assert found == {str(wanted): expected for wanted, expected in FILTERS}


def test_a_day_is_the_merchants_own_day(world: World) -> None:
    """23:30 UTC on 2 November is already 3 November in Shanghai, and still 2 November in a zone west of UTC."""
    build_findings(world)
    late = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)
    with world.database.unit_of_work() as session:
        run_id = session.query(ReconciliationRun.id).filter_by(tenant_id=world.tenants["A"].id).scalar()
        assert run_id is not None
        session.add(_finding(world.tenants["A"].id, run_id, 7, txn_time=late))
        session.add(_finding(world.tenants["A"].id, run_id, 8, txn_time=late, merchant_id=MERCHANT_A2))
        session.get(Merchant, MERCHANT_A2).timezone = "America/Sao_Paulo"  # type: ignore[union-attr]
    assert _ids(world, FindingFilter(date_from=date(2026, 11, 3), date_to=date(2026, 11, 3))) == ["F-0002", "F-0007"]
    assert _ids(world, FindingFilter(date_from=date(2026, 11, 2), date_to=date(2026, 11, 2))) == ["F-0008", "F-0001"]


SORTED = {  # the column's value of finding n (see _finding)
    "day": lambda n: n, "charged": lambda n: n, "at_stake": lambda n: n, "rrn": lambda n: n,
    "kind": lambda n: KINDS[n % 4],
}


def test_each_shown_column_sorts_both_ways(world: World) -> None:
    build_findings(world)
    for key, value in SORTED.items():
        in_order = [f"F-{n:04d}" for n in sorted(range(6), key=lambda n, value=value: (value(n), n))]  # type: ignore[misc]
        assert _ids(world, FindingFilter(sort=key)) == in_order, key
        assert _ids(world, FindingFilter(sort="-" + key)) == in_order[::-1], key
    merchants = _ids(world, FindingFilter(sort="merchant"))
    assert merchants[-1] == "F-0001"
    assert _ids(world, FindingFilter(sort="terminal"))[-1] == "F-0001"


def test_pages_of_fifty_show_every_finding_once_with_the_counts(world: World) -> None:
    build_findings(world, count=2 * PAGE_SIZE + 7)
    who = admin(world)
    with world.database.unit_of_work() as session:
        pages = [finding_page(session, who, FindingFilter(), page) for page in (1, 2, 3)]
        beyond = finding_page(session, who, FindingFilter(), 40)
        overcharges = finding_page(session, who, FindingFilter(kind="OVERCHARGE"), 1)
    seen = [row.finding.finding_id for found in pages for row in found.rows]
    assert [len(found.rows) for found in pages] == [PAGE_SIZE, PAGE_SIZE, 7]
    assert len(set(seen)) == 2 * PAGE_SIZE + 7
    assert seen[0] == "F-0106"
    assert pages[0].total == 107
    assert pages[0].pages == 3
    assert beyond.page == 3  # a page past the end shows the last
    assert [r.finding.finding_id for r in beyond.rows] == [r.finding.finding_id for r in pages[2].rows]
    assert pages[0].counts == {"OVERCHARGE": 27, "DUPLICATE_CHARGE": 27, "UNSETTLED": 27, "UNDERCHARGE": 26}
    assert overcharges.total == 27
    assert overcharges.counts == pages[0].counts


def test_rows_link_their_transaction_and_case_in_one_query(world: World) -> None:
    lines = build_findings(world)
    with world.database.unit_of_work() as session:
        connection = session.connection()
        statements: list[str] = []
        from sqlalchemy import event

        event.listen(connection, "before_cursor_execute", lambda *args: statements.append(str(args[2])))
        rows = {row.finding.finding_id: row for row in finding_page(session, admin(world), FindingFilter(), 1).rows}
    assert rows["F-0000"].journal_id == lines["journal"]
    assert rows["F-0000"].case_number == "RC-2026-000901"
    assert rows["F-0002"].settlement_id == lines["settlement"]
    assert rows["F-0002"].journal_id is None
    assert rows["F-0003"].case_number == "RC-2026-000902"  # by merchant and RRN
    assert rows["F-0001"].merchant_name == "星巴克 国贸店"
    assert rows["F-0005"].case_number is None
    assert len([s for s in statements if "FROM findings" in s]) == 2  # the counts, then the page with its links


def test_the_callers_scope_applies(world: World) -> None:
    build_findings(world)
    assert _ids(world, FindingFilter(), tenant="B") == ["F-0099"]
    assert _ids(world, FindingFilter(merchant=MERCHANT_A), tenant="B") == []
    finance = principal(world.database, World.username("A", Role.MERCHANT_FINANCE))  # merchant A only
    with world.database.unit_of_work() as session:
        found = finding_page(session, finance, FindingFilter(), 1)
    assert "F-0001" not in [row.finding.finding_id for row in found.rows]
    assert found.total == 5


def test_the_api_keeps_its_order_and_takes_the_new_filters(world: World) -> None:
    build_findings(world)
    with world.database.unit_of_work() as session:
        total, rows = list_findings(session, admin(world), FindingFilter())
        kinds = [row.kind for row in rows]
        assert total == 6
        assert kinds == sorted(kinds)
        wanted = replace(FindingFilter(), last4="0218", sort="-charged")
        assert [row.finding_id for row in list_findings(session, admin(world), wanted)[1]] == ["F-0000"]


def test_the_api_rows_show_what_the_stored_findings_show(world: World) -> None:
    """list_findings reads plain rows of the API's columns; the API writes them as it wrote the ORM objects."""
    build_findings(world)
    with world.database.unit_of_work() as session:
        for wanted in (FindingFilter(), FindingFilter(sort="-at_stake", limit=3, offset=1),
                       FindingFilter(merchant="星巴克"), FindingFilter(rrn="600000000001")):
            total, rows = list_findings(session, admin(world), wanted)
            assert rows
            assert total >= len(rows)
            for row in rows:
                stored = session.execute(select(StoredFinding).where(
                    StoredFinding.finding_id == row.finding_id,
                    StoredFinding.tenant_id == world.tenants["A"].id)).scalar_one()
                assert finding_json(row) == finding_json(stored)
                assert FindingOut(**finding_json(row)).model_dump_json() == FindingOut.of(stored).model_dump_json()
