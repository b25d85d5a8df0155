"""Settlement files confirm a dispute's money: a CHARGEBACK line its debit, a CHARGEBACK_REVERSAL line its
credit back (docs/disputes.md), through the real settlement import, without booking anything twice."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.cases.test_case_world import MERCHANT_A, TERMINAL_A
from tests.disputes.dispute_world import (
    FUNDS_RRN,
    NOW,
    SALE_MINOR,
    SALE_RRN,
    add_evidence,
    available,
    case_events,
    import_settlement,
    ledger_ok,
    ops,
    sale_case,
    settlement_file,
)
from tests.support.factories import PASSWORD, World
from tests.support.files import write_lines

from recoup.cases.models import CaseEvent
from recoup.config import Settings
from recoup.disputes.models import Dispute
from recoup.disputes.service import OpenRequest, advance, open_dispute, record_outcome, respond
from recoup.ledger.models import LedgerPosting
from recoup.transactions.importer import ImportOptions, ImportRejected, import_file
from recoup.transactions.layouts import JOURNAL_LAYOUT
from recoup.web.deps import current_time

CHARGEBACK = OpenRequest("unionpay", "chargeback", "4507", "1280.00", "CB-S1", "2026-10-16")


def _dispute(world: World, dispute_id: int) -> Dispute:
    with world.database.unit_of_work() as session:
        return session.execute(select(Dispute).where(Dispute.id == dispute_id)).scalar_one()


def _confirmed_note(world: World) -> str:
    with world.database.unit_of_work() as session:
        query = select(CaseEvent.note).where(CaseEvent.event == "dispute.confirmed").order_by(CaseEvent.id)
        return str(session.execute(query.limit(1)).scalar_one())


def _postings(world: World) -> int:
    with world.database.unit_of_work() as session:
        return int(session.execute(select(func.count()).select_from(LedgerPosting)).scalar_one())


def _page(client: TestClient, dispute_id: int) -> str:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    client.post("/login", data={"username": "a-acquirer_ops", "password": PASSWORD, "csrf_token": token.group(1)})
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/disputes").text)
    assert found is not None
    client.post("/lang", data={"locale": "en", "next": "/disputes", "csrf_token": found.group(1)})
    return str(client.get(f"/disputes/{dispute_id}").text)


def test_settlement_lines_confirm_the_chargeback_and_its_reversal_once_without_booking_twice(
        world: World, settings: Settings, tmp_path: Path, client: TestClient) -> None:
    number = sale_case(world)
    with world.database.unit_of_work() as session:
        dispute_id = open_dispute(session, ops(world), number, CHARGEBACK, NOW).id
    debited, postings = available(world), _postings(world)
    charged_back = settlement_file(tmp_path / "s1.csv", ("CHARGEBACK", SALE_RRN, "1280.00"))
    report = import_settlement(world, settings, charged_back)
    assert (report.imported, report.disputes_confirmed, report.ledger_posted) == (1, 1, 0)
    assert "1 scheme dispute(s) confirmed" in report.summary()
    assert _dispute(world, dispute_id).debit_confirmed_at is not None
    assert _dispute(world, dispute_id).credit_confirmed_at is None
    assert (available(world), _postings(world)) == (debited, postings)  # the dispute already debited it
    ledger_ok(world)
    assert case_events(world, number).count("dispute.confirmed") == 1
    assert "(1280.00 CNY)" in _confirmed_note(world)  # major units, as the settlement file wrote them
    client.app.dependency_overrides[current_time] = lambda: NOW  # type: ignore[attr-defined]
    page = _page(client, dispute_id)
    assert re.search(r'data-testid="debit-confirmed"[^>]*>[^<]*confirmed by settlement', page)
    assert 'data-testid="credit-confirmed"' not in page
    assert import_settlement(world, settings, charged_back).already_imported  # the same file: nothing
    repeated = settlement_file(tmp_path / "s2.csv", ("CHARGEBACK", SALE_RRN, "1280.00"),
                               ("CHARGEBACK", FUNDS_RRN, "10.00"))  # a line seen before, one of no dispute
    again = import_settlement(world, settings, repeated)
    assert (again.imported, again.disputes_confirmed) == (1, 0)
    assert case_events(world, number).count("dispute.confirmed") == 1

    receipt = add_evidence(world, number, "receipt", "receipt.png")
    with world.database.unit_of_work() as session:
        respond(session, ops(world), dispute_id, [receipt], NOW + timedelta(days=1))
    with world.database.unit_of_work() as session:
        advance(session, ops(world), dispute_id, "arbitration", NOW + timedelta(days=10))
    with world.database.unit_of_work() as session:
        record_outcome(session, ops(world), dispute_id, "won", NOW + timedelta(days=20))
    credited, postings = available(world), _postings(world)
    assert credited == debited + SALE_MINOR
    reversed_back = settlement_file(tmp_path / "s3.csv", ("CHARGEBACK_REVERSAL", SALE_RRN, "1280.00"))
    assert import_settlement(world, settings, reversed_back).disputes_confirmed == 1
    assert _dispute(world, dispute_id).credit_confirmed_at is not None
    assert (available(world), _postings(world)) == (credited, postings)
    ledger_ok(world)
    events = case_events(world, number)
    assert events.count("dispute.confirmed") == 2
    assert 'data-testid="credit-confirmed"' in _page(client, dispute_id)


def test_a_chargeback_line_without_a_dispute_confirms_nothing_and_books_nothing(
        world: World, settings: Settings, tmp_path: Path) -> None:
    sale_case(world)
    before, postings = available(world), _postings(world)
    report = import_settlement(world, settings, settlement_file(
        tmp_path / "s.csv", ("CHARGEBACK", SALE_RRN, "1280.00"), ("退单冲回", "610000000009", "5000.00")))
    assert (report.imported, report.rejected_rows, report.disputes_confirmed) == (2, 0, 0)
    assert (available(world), _postings(world)) == (before, postings)
    ledger_ok(world)
    journal = write_lines(tmp_path / "j.csv", ",".join(JOURNAL_LAYOUT),
                          f"{MERCHANT_A},{TERMINAL_A},2026-10-12T10:30:00,CHARGEBACK,APPROVED,1.00,CNY,"
                          "610000000077,000077,,,,,,,")
    with pytest.raises(ImportRejected, match=r"line 2.*txn_type: unknown transaction type 'CHARGEBACK'"):
        with world.database.unit_of_work() as session:  # a terminal never takes a chargeback: settlement only
            import_file(session, ops(world), "journal", journal, settings, ImportOptions())
