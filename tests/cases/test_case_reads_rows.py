"""The case's reads that issue 15's third round merged (cases.repository): the claimed RRNs chosen inside the journal
and settlement reads (transaction_rows) pick the lines transactions_of picks after reading the keys first, and one
statement's balances and flags (case_facts) say what the separate reads said."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, exists, select
from tests.cases.test_case_world import MERCHANT_A, add_sale
from tests.disputes.dispute_world import FUNDS_RRN, SALE_RRN, add_evidence, sale_case
from tests.support.factories import OBJECTS, World

from recoup.cases.models import Case, CaseAlert, CaseKey
from recoup.cases.repository import case_facts, transaction_rows, transactions_of
from recoup.evidence.models import EvidenceItem
from recoup.ledger.service import ACCOUNT_ORDER, balance_map
from recoup.transactions.models import JournalLine, SettlementLine

MERCHANT_B = OBJECTS["B"][0]


def _case(world: World, number: str) -> Case:
    with world.database.unit_of_work() as session:
        return session.execute(select(Case).where(Case.number == number)).scalar_one()


def _same_lines(world: World, number: str) -> list[tuple[str, int]]:
    """transaction_rows' lines, after checking they are transactions_of's, in the same order."""
    with world.database.unit_of_work() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        journal, settled = transaction_rows(session, case)
        rows = [("journal", line.id) for line in journal] + [("settled", line.id) for line in settled]
        expected = [("journal" if isinstance(line, JournalLine) else "settled", line.id)
                    for line in transactions_of(session, case)]
        assert rows == expected
        return rows


def _claim(world: World, number: str, *keys: str) -> None:
    with world.database.unit_of_work() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        session.add_all(CaseKey(tenant_id=case.tenant_id, case_id=case.id, key=key) for key in keys)


def test_the_lines_of_the_claimed_keys_of_the_merchant_and_of_the_own_rrn_are_read_and_no_other(
        world: World) -> None:
    number = sale_case(world)
    own = _same_lines(world, number)
    assert own  # the case's own sale: its journal and settlement lines
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        add_sale(session, tenant_id, "610000000077", 9900, merchant_id=MERCHANT_B, terminal_id=OBJECTS["B"][1])
    # a key of the merchant's (FUNDS_RRN), another merchant's (not the case's merchant: left out), a terminal-day
    _claim(world, number, f"txn:{MERCHANT_A}:{FUNDS_RRN}", f"txn:{MERCHANT_B}:610000000077",
           f"day:{MERCHANT_A}:2026-10-12")
    claimed = _same_lines(world, number)
    with world.database.unit_of_work() as session:
        funds = {line.id for line in session.execute(select(JournalLine).where(JournalLine.rrn == FUNDS_RRN)).scalars()}
        funds |= {line.id for line in session.execute(
            select(SettlementLine).where(SettlementLine.rrn == FUNDS_RRN)).scalars()}
        other = session.execute(select(JournalLine.id).where(JournalLine.rrn == "610000000077")).scalar_one()
    assert {line for _, line in claimed} == {line for _, line in own} | funds
    assert ("journal", other) not in claimed


def test_a_case_without_an_rrn_reads_its_claimed_lines_only(world: World) -> None:
    number = sale_case(world)
    with world.database.unit_of_work() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        case.rrn = ""
        session.execute(delete(CaseKey).where(CaseKey.case_id == case.id))  # open_case claimed the sale
    assert _same_lines(world, number) == []
    _claim(world, number, f"txn:{MERCHANT_A}:{SALE_RRN}")
    assert len(_same_lines(world, number)) == 2  # the sale's journal line and its settlement line


def test_the_facts_say_the_balances_and_whether_the_case_has_rows(world: World) -> None:
    number = sale_case(world)
    files = ("evidence", exists().where(EvidenceItem.case_id == bindparam("case_id")))
    with world.database.unit_of_work() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        facts = case_facts(session, case, (files,))
        wanted = {account.value for account in ACCOUNT_ORDER}
        in_currency = {key.account.value: minor for key, minor in balance_map(session, case.tenant_id,
                                                                             case.merchant_id).items()
                       if key.currency == case.currency}
        assert facts.balances == {k: v for k, v in in_currency.items() if k in wanted}
        assert facts.balances  # the settled sales are on the merchant's accounts
        assert facts.has == {"findings": False, "alerts": False, "evidence": False}
        session.add(CaseAlert(tenant_id=case.tenant_id, case_id=case.id, kind="DEADLINE", message="late"))
    add_evidence(world, number, "receipt", "receipt.png")
    with world.database.unit_of_work() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        assert case_facts(session, case, (files,)).has == {"findings": False, "alerts": True, "evidence": True}
