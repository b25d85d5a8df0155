"""Helpers of the complaint tests: a sale in the journal, a payer's complaint, staff principals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from tests.support.factories import OBJECTS, World

from recoup.auth.models import User
from recoup.auth.principal import Principal
from recoup.auth.roles import Role
from recoup.auth.service import principal_for
from recoup.complaints.intake import Filed, PublicFiling, file_public, public_merchant
from recoup.complaints.rules import parse_contact, parse_facts
from recoup.config import Settings
from recoup.transactions.models import JournalLine

FILED_AT = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai
MERCHANT_A, TERMINAL_A = OBJECTS["A"]
MERCHANT_B, TERMINAL_B = OBJECTS["B"]


def add_sale(world: World, tenant: str, merchant_id: str, terminal_id: str, *, amount_minor: int, last4: str,
             at: datetime, rrn: str) -> int:
    with world.database.unit_of_work() as session:
        line = JournalLine(tenant_id=world.tenants[tenant].id, merchant_id=merchant_id, terminal_id=terminal_id,
                           txn_time=at, local_date=date(at.year, at.month, at.day), txn_type="SALE",
                           status="APPROVED", amount_minor=amount_minor, currency="CNY", rrn=rrn,
                           stan=rrn[-6:], card_last4=last4, card_masked=f"622202******{last4}")
        session.add(line)
        session.flush()
        return line.id


def staff(world: World, tenant: str = "A", role: Role = Role.MERCHANT_FINANCE) -> Principal:
    with world.database.unit_of_work() as session:
        user = session.execute(select(User).where(User.username == World.username(tenant, role))).scalar_one()
        return principal_for(session, user, "test")


def file_complaint(world: World, settings: Settings, *, merchant_id: str = MERCHANT_A, amount: str = "128.00",
                   when: str = "2026-11-02T14:30", last4: str = "4321", description: str = "charged twice",
                   contact: str = "", at: datetime = FILED_AT) -> Filed:
    with world.database.unit_of_work() as session:
        merchant = public_merchant(session, merchant_id)
        facts = parse_facts(amount, when, last4, description, zone=merchant.timezone)
        filing = PublicFiling(facts, parse_contact(contact), None, "en", "http://test/c/status")
        return file_public(session, settings, merchant, filing, at)


def sale_pair(world: World) -> tuple[int, int]:
    """Two sales of merchant A on 2 November: the one the complaint describes and one that does not fit."""
    shanghai_1430 = datetime(2026, 11, 2, 6, 30, tzinfo=UTC)
    right = add_sale(world, "A", MERCHANT_A, TERMINAL_A, amount_minor=12800, last4="4321",
                     at=shanghai_1430 + timedelta(minutes=4), rrn="300000000001")
    wrong = add_sale(world, "A", MERCHANT_A, TERMINAL_A, amount_minor=12800, last4="9999",
                     at=shanghai_1430 + timedelta(minutes=9), rrn="300000000002")
    return right, wrong
