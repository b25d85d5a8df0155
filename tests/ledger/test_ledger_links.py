"""Since migration 0016 the ledger's postings and lines carry no foreign keys (a trigger per row each on
PostgreSQL); `recoup ledger verify` proves instead what they guarded. Broken here by rows written straight
into the database, as a bug or a hand edit would leave them: each is named, and a sound ledger still passes."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, inspect, update
from tests.cases.test_case_world import MERCHANT_A
from tests.support.factories import World

from recoup.ledger import rules
from recoup.ledger.models import LedgerEntry, LedgerPosting
from recoup.ledger.rules import LedgerIntegrityError
from recoup.ledger.service import post, verify_ledger


def _funded(world: World, tenant: str = "A", reference: str = "funding:1") -> int:
    with world.database.unit_of_work() as session:
        return post(session, world.tenants[tenant].id, reference, "transfer.in",
                    rules.transfer_in(MERCHANT_A, 50000, "CNY")).id


def _verify(world: World, tenant: str | None = None) -> None:
    with world.database.unit_of_work() as session:
        verify_ledger(session, world.tenants[tenant].id if tenant else None)


def _slip_in_pair(world: World, tenant_id: int, posting_id: int) -> int:
    """A balanced pair of lines, so that only the link is wrong; returns the first line's id."""
    with world.database.unit_of_work() as session:
        ids = []
        for amount in (700, -700):
            ids.append(session.execute(insert(LedgerEntry).values(
                posting_id=posting_id, tenant_id=tenant_id, merchant_id=MERCHANT_A, account="AVAILABLE",
                currency="CNY", amount_minor=amount).returning(LedgerEntry.id)).scalar_one())
        return ids[0]


def test_the_tables_hold_no_foreign_keys_and_a_sound_ledger_passes(world: World) -> None:
    _funded(world)
    keys = inspect(world.database.engine)
    assert keys.get_foreign_keys("ledger_entries") == []
    assert keys.get_foreign_keys("ledger_postings") == []
    _verify(world)
    _verify(world, "A")


def test_a_line_of_a_posting_that_does_not_exist_is_named(world: World) -> None:
    posting_id = _funded(world)
    line_id = _slip_in_pair(world, world.tenants["A"].id, posting_id + 1000)
    with pytest.raises(LedgerIntegrityError, match=f"ledger line {line_id} names posting {posting_id + 1000}, "
                                                   "which its tenant does not have"):
        _verify(world)
    with pytest.raises(LedgerIntegrityError, match=f"ledger line {line_id} "):
        _verify(world, "A")
    _verify(world, "B")  # the other tenant's ledger is sound


def test_a_line_under_another_tenants_posting_is_named(world: World) -> None:
    posting_of_b = _funded(world, "B", "funding:b")
    line_id = _slip_in_pair(world, world.tenants["A"].id, posting_of_b)
    with pytest.raises(LedgerIntegrityError, match=f"ledger line {line_id} names posting {posting_of_b}"):
        _verify(world, "A")


def test_a_posting_of_a_tenant_that_does_not_exist_is_named(world: World) -> None:
    posting_id = _funded(world)
    with world.database.unit_of_work() as session:
        session.execute(update(LedgerPosting).where(LedgerPosting.id == posting_id).values(tenant_id=9999))
        session.execute(update(LedgerEntry).where(LedgerEntry.posting_id == posting_id).values(tenant_id=9999))
    missing = f"posting {posting_id} belongs to tenant 9999, which does not exist"
    with pytest.raises(LedgerIntegrityError, match=missing):
        _verify(world)
