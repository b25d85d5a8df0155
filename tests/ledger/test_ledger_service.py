"""The stored ledger: idempotent postings, settlement booking, balances, and a verify that catches tampering."""

from __future__ import annotations

import json
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from tests.cases.test_case_world import MERCHANT_A, admin, settle
from tests.support.cli import run_cli_here as run_cli
from tests.support.factories import World

from recoup.ledger import rules
from recoup.ledger.models import LedgerBalance, LedgerEntry, LedgerPosting
from recoup.ledger.rules import Account, LedgerIntegrityError, LedgerLine
from recoup.ledger.service import available_minor, hold, merchant_accounts, post, post_settlement, verify_ledger


def _balances(world: World) -> dict[str, str]:
    with world.database.unit_of_work() as session:
        return {row["account"]: str(row["balance"]) for row in merchant_accounts(session, admin(world), MERCHANT_A)}


def test_a_posting_is_stored_once_per_reference(world: World) -> None:
    tenant_id = world.tenants["A"].id
    for _ in range(2):
        with world.database.unit_of_work() as session:
            post(session, tenant_id, "funding:1", "transfer.in", rules.transfer_in(MERCHANT_A, 50000, "CNY"))
    assert _balances(world)["AVAILABLE"] == "500.00"
    with world.database.unit_of_work() as session:
        assert session.execute(select(func.count()).select_from(LedgerPosting)).scalar_one() == 1


def test_two_transactions_posting_one_reference_at_once_store_it_once(world: World) -> None:
    """The second waits for the first to commit, then gets the posting the first stored (no error, nothing twice)."""
    tenant_id = world.tenants["A"].id
    first_in, got = threading.Event(), {}

    def second() -> None:
        first_in.wait(10)
        with world.database.unit_of_work() as session:
            got["second"] = post(session, tenant_id, "funding:race", "transfer.in",
                                 rules.transfer_in(MERCHANT_A, 50000, "CNY")).id

    racer = threading.Thread(target=second)
    racer.start()
    with world.database.unit_of_work() as session:
        got["first"] = post(session, tenant_id, "funding:race", "transfer.in",
                            rules.transfer_in(MERCHANT_A, 50000, "CNY")).id
        first_in.set()
        time.sleep(0.3)  # the second is waiting on the reference (SQLite: on the write lock)
    racer.join(30)
    assert got["first"] == got["second"]
    assert _balances(world)["AVAILABLE"] == "500.00"
    with world.database.unit_of_work() as session:
        assert session.execute(select(func.count()).select_from(LedgerEntry)).scalar_one() == 2


def test_an_unbalanced_posting_is_refused_and_stores_nothing(world: World) -> None:
    lines = [LedgerLine(Account.AVAILABLE, MERCHANT_A, 100, "CNY"), LedgerLine(Account.BANK, MERCHANT_A, -99, "CNY")]
    with pytest.raises(LedgerIntegrityError, match="does not balance"), world.database.unit_of_work() as session:
        post(session, world.tenants["A"].id, "bad", "bad", lines)
    with world.database.unit_of_work() as session:
        assert session.execute(select(func.count()).select_from(LedgerEntry)).scalar_one() == 0


def test_settlement_lines_are_booked_once_each_with_their_fees(world: World) -> None:
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        sale = settle(session, tenant_id, "SALE", "600000000001", 12800, fee_minor=77, post=False)
        refund = settle(session, tenant_id, "REFUND", "600000000002", 2000, post=False)
        assert post_settlement(session, [sale, refund]) == 2
    with world.database.unit_of_work() as session:
        lines = list(session.execute(select(type(sale)).order_by(type(sale).id)).scalars())
        assert post_settlement(session, lines) == 0
    balances = _balances(world)
    assert (balances["AVAILABLE"], balances["FEES"]) == ("107.23", "0.77")


def test_hold_checks_the_available_balance_first(world: World) -> None:
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        settle(session, tenant_id, "SALE", "600000000003", 10000)
        assert not hold(session, tenant_id, MERCHANT_A, 10001, "CNY", "hold:1")
        assert hold(session, tenant_id, MERCHANT_A, 10000, "CNY", "hold:2")
        assert available_minor(session, tenant_id, MERCHANT_A, "CNY", lock=False) == 0
    assert _balances(world)["HELD"] == "100.00"


def test_verify_catches_a_changed_balance_and_a_changed_line(world: World) -> None:
    with world.database.unit_of_work() as session:
        settle(session, world.tenants["A"].id, "SALE", "600000000004", 10000)
        assert verify_ledger(session).postings == 1
    with world.database.unit_of_work() as session:
        session.execute(update(LedgerBalance).where(LedgerBalance.account == "AVAILABLE").values(balance_minor=1))
    with pytest.raises(LedgerIntegrityError, match="stored balance"), world.database.unit_of_work() as session:
        verify_ledger(session)
    with world.database.unit_of_work() as session:
        session.execute(update(LedgerBalance).where(LedgerBalance.account == "AVAILABLE").values(balance_minor=10000))
        session.execute(update(LedgerEntry).where(LedgerEntry.account == "AVAILABLE").values(amount_minor=9999))
    with pytest.raises(LedgerIntegrityError, match="does not balance"), world.database.unit_of_work() as session:
        verify_ledger(session)


OPERATIONS = st.lists(st.tuples(st.sampled_from(["sale", "refund", "hold", "release", "transfer_in"]),
                                st.integers(min_value=1, max_value=10**9)), min_size=1, max_size=15)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_any_sequence_of_postings_keeps_the_ledger_verifiable(world: World, operations: list[tuple[str, int]]) -> None:
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        before = verify_ledger(session).postings
        expected: dict[str, int] = {row["account"]: int(str(row["balance_minor"]))
                                    for row in merchant_accounts(session, admin(world), MERCHANT_A)}
        for number, (operation, amount) in enumerate(operations):
            reference = f"prop:{before}:{number}"
            if operation == "sale":
                settle(session, tenant_id, "SALE", f"7{before:05d}{number:06d}", amount)
                expected["AVAILABLE"] += amount
            elif operation == "refund":
                paid = rules.refund_paid(MERCHANT_A, amount, "CNY", from_hold=False)
                post(session, tenant_id, reference, "refund", paid)
                expected["AVAILABLE"] -= amount
                expected["PAYABLE_TO_PAYER"] += amount
            elif operation == "hold" and hold(session, tenant_id, MERCHANT_A, amount, "CNY", reference):
                expected["AVAILABLE"] -= amount
                expected["HELD"] += amount
            elif operation == "release" and expected["HELD"] >= amount:
                post(session, tenant_id, reference, "release", rules.release_hold(MERCHANT_A, amount, "CNY"))
                expected["HELD"] -= amount
                expected["AVAILABLE"] += amount
            elif operation == "transfer_in":
                post(session, tenant_id, reference, "transfer", rules.transfer_in(MERCHANT_A, amount, "CNY"))
                expected["AVAILABLE"] += amount
        assert verify_ledger(session).postings >= before
        stored = {row["account"]: row["balance_minor"] for row in merchant_accounts(session, admin(world), MERCHANT_A)}
    assert stored == expected


def test_ledger_balance_and_verify_from_the_command_line(world: World, database_url: str) -> None:
    with world.database.unit_of_work() as session:
        settle(session, world.tenants["A"].id, "SALE", "600000000005", 12345, fee_minor=45)
    shown = run_cli(["ledger", "balance", MERCHANT_A, "--user", "a-merchant_finance", "--format", "json"], database_url)
    assert shown.returncode == 0, shown.stderr
    assert {row["account"]: row["balance"] for row in json.loads(shown.stdout)}["AVAILABLE"] == "123.00"
    other = run_cli(["ledger", "balance", MERCHANT_A, "--user", "b-admin"], database_url)
    assert other.returncode == 1
    assert f"no merchant {MERCHANT_A}" in other.stderr
    verified = run_cli(["ledger", "verify"], database_url)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("ledger balanced: 1 postings, 3 lines")
    with world.database.unit_of_work() as session:
        session.execute(update(LedgerBalance).where(LedgerBalance.account == "FEES").values(balance_minor=0))
    broken = run_cli(["ledger", "verify"], database_url)
    assert broken.returncode == 1
    assert "stored balance" in broken.stderr
