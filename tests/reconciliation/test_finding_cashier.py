"""Each stored finding keeps the cashier of its transaction's journal line: the reports count errors per cashier
and list the cashiers who need training from it (recoup.reports), without a journal lookup per finding."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from tests.cases.test_case_world import MERCHANT_A, TERMINAL_A, WHEN, Finding, add_sale, save, settle
from tests.support.factories import World

from recoup.reconciliation.models import StoredFinding
from recoup.transactions.models import JournalLine


def _cashiers(world: World) -> dict[str, str | None]:
    """{terminal:RRN: cashier} of the stored findings."""
    with world.database.unit_of_work() as session:
        return {f"{terminal}:{rrn}": cashier for terminal, rrn, cashier in session.execute(
            select(StoredFinding.terminal_id, StoredFinding.rrn, StoredFinding.cashier_id))}


def _line(world: World, rrn: str, txn_type: str, cashier: str, stan: str) -> None:
    with world.database.unit_of_work() as session:
        session.add(JournalLine(tenant_id=world.tenants["A"].id, merchant_id=MERCHANT_A, terminal_id=TERMINAL_A,
                                txn_time=WHEN, local_date=date(2026, 10, 12), txn_type=txn_type, status="APPROVED",
                                amount_minor=100, currency="CNY", rrn=rrn, stan=stan, card_masked="622848******1234",
                                card_last4="1234", cashier_id=cashier))


def test_a_saved_finding_keeps_the_cashier_of_its_journal_line(world: World) -> None:
    with world.database.unit_of_work() as session:
        add_sale(session, world.tenants["A"].id, "440000000001", 128000).cashier_id = "c07"
        add_sale(session, world.tenants["A"].id, "440000000002", 5000)  # the terminal sent no cashier
    _line(world, "440000000001", "VOID", "c03", "900001")  # two lines name a cashier: the smallest counts
    save(world, [Finding("OVERCHARGE", MERCHANT_A, "440000000001", 128000, 12800, cause="EXTRA_DIGIT"),
                 Finding("OVERCHARGE", MERCHANT_A, "440000000002", 5000, 500),
                 Finding("OVERCHARGE", MERCHANT_A, "440000000001", 128000, 12800, terminal_id="69999999")])
    assert _cashiers(world) == {f"{TERMINAL_A}:440000000001": "c03", f"{TERMINAL_A}:440000000002": None,
                                "69999999:440000000001": None}  # no line of that RRN at that terminal


def test_a_finding_saved_before_its_journal_line_gets_the_cashier_when_a_run_saves_it_again(world: World) -> None:
    with world.database.unit_of_work() as session:
        settle(session, world.tenants["A"].id, "SALE", "440000000003", 9000)  # settled, no journal line yet
    findings = [Finding("UNMATCHED_CHARGE", MERCHANT_A, "440000000003", 9000, 0)]
    save(world, findings)
    assert _cashiers(world) == {f"{TERMINAL_A}:440000000003": None}
    _line(world, "440000000003", "SALE", "c05", "000003")
    save(world, findings)
    assert _cashiers(world) == {f"{TERMINAL_A}:440000000003": "c05"}
    _line(world, "440000000003", "VOID", "c01", "000004")
    save(world, findings)
    assert _cashiers(world) == {f"{TERMINAL_A}:440000000003": "c05"}  # once known, it stays what the report counted
