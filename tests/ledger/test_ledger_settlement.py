"""Set-based settlement booking: each line gets exactly the posting its template gives, once."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from tests.cases.test_case_world import MERCHANT_A, settle
from tests.support.factories import World

from recoup.errors import InvalidInput
from recoup.ledger import rules, settlement
from recoup.ledger.models import LedgerEntry, LedgerPosting
from recoup.ledger.rules import LedgerLine
from recoup.ledger.service import post, post_settlement, txn_key, verify_ledger
from recoup.ledger.settlement import Lines, book_settlement
from recoup.transactions.models import SettlementLine

TERMINAL = "61027889"


def _booked(world: World) -> dict[str, list[tuple[str, int]]]:
    """Each settlement posting's lines, as (account, amount) in the order they were written."""
    with world.database.unit_of_work() as session:
        rows = session.execute(select(LedgerPosting.reference, LedgerEntry.account, LedgerEntry.amount_minor)
                               .join(LedgerEntry, LedgerEntry.posting_id == LedgerPosting.id)
                               .where(LedgerPosting.reference.startswith("settlement:"))
                               .order_by(LedgerPosting.id, LedgerEntry.id)).all()
    booked: dict[str, list[tuple[str, int]]] = {}
    for reference, account, amount in rows:
        booked.setdefault(reference, []).append((account, amount))
    return booked


def _as_pairs(lines: list[LedgerLine]) -> list[tuple[str, int]]:
    return [(line.account.value, line.amount_minor) for line in lines]


def test_every_kind_of_line_is_booked_as_its_template_says(world: World) -> None:
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        post(session, tenant_id, "capture:1", "capture", rules.sale_captured(MERCHANT_A, 5000, "CNY"),
             txn_key=txn_key(TERMINAL, "600000000004", "SALE"))
        post(session, tenant_id, "confirm:1", "refund.confirmed", rules.refund_paid(MERCHANT_A, 700, "CNY"),
             txn_key=txn_key(TERMINAL, "600000000006", "REFUND"))
        lines = [settle(session, tenant_id, txn_type, rrn, amount, fee_minor=fee, post=False)
                 for txn_type, rrn, amount, fee in [
                     ("SALE", "600000000001", 12800, 77), ("SALE", "600000000002", 300, 300),
                     ("PREAUTH_COMPLETE", "600000000003", 900, 0), ("SALE", "600000000004", 5000, 20),
                     ("REFUND", "600000000005", 2000, 0), ("REFUND", "600000000006", 700, 0),
                     ("VOID", "600000000007", 150, 0), ("ADJUSTMENT", "600000000008", 40, 0)]]
        ids = {line.rrn: line.id for line in lines}
        assert post_settlement(session, lines) == 6
    booked = _booked(world)
    expected = {
        "600000000001": rules.settlement_cleared(MERCHANT_A, 12800, 77, "CNY", captured=False),
        "600000000002": rules.settlement_cleared(MERCHANT_A, 300, 300, "CNY", captured=False),
        "600000000003": rules.settlement_cleared(MERCHANT_A, 900, 0, "CNY", captured=False),
        "600000000004": rules.settlement_cleared(MERCHANT_A, 5000, 20, "CNY", captured=True),
        "600000000005": rules.reversal(MERCHANT_A, 2000, "CNY", settled=True),
        "600000000007": rules.reversal(MERCHANT_A, 150, "CNY", settled=True),
    }
    assert booked == {f"settlement:{ids[rrn]}": _as_pairs(lines) for rrn, lines in expected.items()}
    with world.database.unit_of_work() as session:
        posting = session.execute(select(LedgerPosting).where(
            LedgerPosting.reference == f"settlement:{ids['600000000001']}")).scalar_one()
        assert (posting.kind, posting.txn_key, posting.memo) == (
            "settlement.sale", txn_key(TERMINAL, "600000000001", "SALE"), "settled 2026-10-13 rrn 600000000001")
        assert verify_ledger(session).postings == 8


def test_booking_again_books_nothing_more(world: World) -> None:
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        first = settle(session, tenant_id, "SALE", "600000000011", 1000, fee_minor=5, post=False)
        assert book_settlement(session, Lines(import_id=None, ids=[first.id])) == 1
        second = settle(session, tenant_id, "SALE", "600000000012", 2000, post=False)
        lines = list(session.execute(select(SettlementLine).order_by(SettlementLine.id)).scalars())
        assert [line.id for line in lines] == [first.id, second.id]
        assert post_settlement(session, lines) == 1
        assert post_settlement(session, lines) == 0
        report = verify_ledger(session)
    assert (report.postings, report.lines) == (2, 5)


def test_a_line_the_templates_refuse_stops_the_booking_with_their_reason(world: World) -> None:
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        good = settle(session, tenant_id, "SALE", "600000000021", 1000, post=False)
        bad = settle(session, tenant_id, "SALE", "600000000022", 100, fee_minor=150, post=False)
        with pytest.raises(InvalidInput, match="the fee must lie between 0 and the settled amount"):
            post_settlement(session, [good, bad])
        assert session.execute(select(LedgerPosting)).first() is None


def test_a_booking_that_failed_half_way_does_not_stand_in_the_way_of_the_next(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        line = settle(session, tenant_id, "SALE", "600000000031", 1000, post=False)

        def broken(*_: object) -> None:
            raise RuntimeError("interrupted")

        with monkeypatch.context() as patch:
            patch.setattr(settlement, "_postings", broken)
            with pytest.raises(RuntimeError, match="interrupted"):
                book_settlement(session, Lines(ids=[line.id]))
        assert book_settlement(session, Lines(ids=[line.id])) == 1
    assert _booked(world) == {f"settlement:{line.id}": [("ACQUIRER_CLEARING", -1000), ("AVAILABLE", 1000)]}


def test_a_booking_whose_statement_failed_reports_that_failure(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        line = settle(session, tenant_id, "SALE", "600000000032", 1000, post=False)
        monkeypatch.setattr(settlement, "_postings", lambda *_: text("INSERT INTO no_such_table VALUES (1)"))
        with pytest.raises(DBAPIError, match="no_such_table"):  # not a complaint about the clean-up
            book_settlement(session, Lines(ids=[line.id]))
        session.rollback()
