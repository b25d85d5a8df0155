"""The write side of an import: lines already stored, lines repeated within a file, the settlement booked in
the ledger once per line, nothing at all when the ledger refuses a line, and the recoveries the new lines
confirm."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.cases.test_case_world import admin, case_numbered, overcharge_case
from tests.support.factories import OBJECTS, World
from tests.transactions.test_import import JOURNAL_HEADER, count, jline, run, write

from recoup.config import Settings
from recoup.errors import InvalidInput
from recoup.ledger.models import LedgerPosting
from recoup.ledger.service import verify_ledger
from recoup.recovery.plans import ActionRequest
from recoup.recovery.service import perform
from recoup.transactions.models import ImportBatch, JournalLine, SettlementLine

M_A, T_A = OBJECTS["A"]
SETTLEMENT_HEADER = ("settle_date,merchant_id,merchant_name,mcc,terminal_id,txn_time,txn_type,rrn,card,amount,fee,"
                     "net_amount,currency,order_no")


def sline(rrn: str, amount: str = "128.00", fee: str = "0.49", *, txn_type: str = "SALE") -> str:
    card = "622848******1234"
    return f"2026-10-13,{M_A},商户A,5411,{T_A},2026-10-12T10:00:00,{txn_type},{rrn},{card},{amount},{fee},,CNY,"


def rrns(world: World) -> list[str]:
    with world.database.unit_of_work() as session:
        return list(session.execute(select(JournalLine.rrn).order_by(JournalLine.rrn)).scalars())


def test_a_file_whose_last_lines_are_stored_already_adds_only_the_new_ones(world: World, settings: Settings,
                                                                            tmp_path: Path) -> None:
    run(world, settings, "journal", write(tmp_path, "late.csv", JOURNAL_HEADER,
                                          [jline(f"00000000000{n}") for n in (7, 8)]))
    report = run(world, settings, "journal", write(tmp_path, "day.csv", JOURNAL_HEADER,
                                                   [jline(f"00000000000{n}") for n in range(1, 9)]))
    assert (report.imported, report.already_present) == (6, 2)
    assert rrns(world) == [f"00000000000{n}" for n in range(1, 9)]


def test_a_line_repeated_within_one_file_is_stored_once(world: World, settings: Settings, tmp_path: Path) -> None:
    report = run(world, settings, "journal", write(tmp_path, "j.csv", JOURNAL_HEADER, [
        jline("000000000001"), jline("000000000002"), jline("000000000001", "99.00")]))
    assert (report.imported, report.already_present) == (2, 1)
    with world.database.unit_of_work() as session:
        stored = session.execute(select(JournalLine.amount_minor).where(JournalLine.rrn == "000000000001")).scalar_one()
    assert stored == 12800  # the first of the two


def test_each_settlement_line_is_booked_in_the_ledger_once(world: World, settings: Settings, tmp_path: Path) -> None:
    first = run(world, settings, "settlement", write(tmp_path, "s1.csv", SETTLEMENT_HEADER, [
        sline("000000000001"), sline("000000000002", "20.00", "0", txn_type="REFUND")]))
    assert (first.imported, first.ledger_posted) == (2, 2)
    second = run(world, settings, "settlement", write(tmp_path, "s2.csv", SETTLEMENT_HEADER, [
        sline("000000000002", "20.00", "0", txn_type="REFUND"), sline("000000000003", "50.00", "0.19")]))
    assert (second.imported, second.already_present, second.ledger_posted) == (1, 1, 1)
    with world.database.unit_of_work() as session:
        report = verify_ledger(session)
        booked = session.execute(select(func.count()).select_from(LedgerPosting)).scalar_one()
    assert (report.postings, report.lines, booked) == (3, 8, 3)


def test_a_settlement_line_the_ledger_refuses_imports_nothing(world: World, settings: Settings,
                                                              tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", SETTLEMENT_HEADER, [sline("000000000001"), sline("000000000002", "1.00", "2.00")])
    with pytest.raises(InvalidInput, match="the fee must lie between 0 and the settled amount"):
        run(world, settings, "settlement", path)
    assert (count(world, SettlementLine), count(world, ImportBatch), count(world, LedgerPosting)) == (0, 0, 0)


def test_an_imported_refund_confirms_the_recovery_it_carries_and_the_settlement_books_it_once(
        world: World, settings: Settings, tmp_path: Path) -> None:
    number = overcharge_case(world, fund_minor=500000)  # a sale of 1280.00 for an order of 128.00
    perform(world.database, admin(world), number, ActionRequest("refund", "1152.00"), "refund-1")
    journal = run(world, settings, "journal", write(tmp_path, "j.csv", JOURNAL_HEADER, [
        jline("500000000001", "1152.00", txn_type="REFUND", orig="400000000001", at="2026-10-13T09:00:00"),
        jline("500000000002", "1152.00", txn_type="REFUND", orig="400000000009", at="2026-10-13T09:05:00"),
        jline("500000000003", "1152.00", at="2026-10-13T09:10:00")]))
    assert journal.recoveries_confirmed == 1
    assert case_numbered(world.database, number).state == "RESOLVED"
    settlement = run(world, settings, "settlement", write(tmp_path, "s.csv", SETTLEMENT_HEADER, [
        sline("500000000001", "1152.00", "0", txn_type="REFUND"), sline("500000000003", "1152.00", "0")]))
    assert (settlement.imported, settlement.ledger_posted, settlement.recoveries_confirmed) == (2, 1, 0)
    with world.database.unit_of_work() as session:
        verify_ledger(session)
