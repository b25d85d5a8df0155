"""`recoup demo`: an empty database becomes a living system, through the real importer, once."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from recoup.auth import passwords
from recoup.auth.models import User
from recoup.config import Settings
from recoup.db import Database
from recoup.demo.loader import DEMO_USERS, demo_dataset, load_demo
from recoup.merchants.models import Merchant, Terminal
from recoup.reconciliation.models import StoredFinding
from recoup.transactions.models import ImportBatch, JournalLine, Order, SettlementLine

SPEC_KINDS = {"OVERCHARGE", "UNDERCHARGE", "DUPLICATE_CHARGE", "DEBITED_BUT_FAILED", "VOIDED_BUT_SETTLED", "UNSETTLED",
              "SETTLEMENT_MISMATCH", "UNKNOWN_SETTLEMENT", "REFUND_NOT_SETTLED", "OVER_REFUND", "MCC_MISMATCH",
              "UNMATCHED_CHARGE", "UNPAID_ORDER"}


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def counts(database: Database) -> dict[str, int]:
    with database.unit_of_work() as session:
        return {model.__tablename__: int(session.execute(select(func.count()).select_from(model)).scalar_one())
                for model in (User, Merchant, Terminal, Order, JournalLine, SettlementLine, ImportBatch)}


def test_the_demo_fills_an_empty_database_with_weeks_of_every_kind_of_mis_charge(database: Database,
                                                                                  settings: Settings) -> None:
    lines = list(load_demo(database, settings))
    with database.unit_of_work() as session:
        kinds_found = set(session.execute(select(StoredFinding.kind).distinct()).scalars())
    assert kinds_found == SPEC_KINDS  # the demo opens on a living inbox: every kind, each with its case
    dataset = demo_dataset()
    assert {finding.kind for finding in dataset.expected} == SPEC_KINDS
    stored = counts(database)
    assert stored["users"] == len(DEMO_USERS)
    assert stored["merchants"] == len(dataset.merchants) >= 5
    assert stored["terminals"] == len(dataset.terminals) >= 24
    assert stored["orders"] == len(dataset.orders)
    assert stored["journal_lines"] == len(dataset.journal)
    assert stored["settlement_lines"] == len(dataset.settlement)
    assert "demo data loaded" in lines
    assert any("admin" in line and "recoup-demo-2026" in line for line in lines)
    assert any("finance" in line for line in lines)
    again = list(load_demo(database, settings))
    assert again[0] == "the database already holds data: demo data not loaded again"
    assert counts(database) == stored
