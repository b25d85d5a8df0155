"""A settled sale of 1280.00 with its case, evidence on the case, and readers for the dispute tests."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from tests.cases.test_case_world import MERCHANT_A, TERMINAL_A, WHEN, add_sale, principal
from tests.support.factories import World
from tests.support.files import write_lines

from recoup.auth.principal import Principal
from recoup.auth.roles import Role
from recoup.cases.models import Case, CaseEvent
from recoup.cases.opening import OpenRequest as CaseRequest
from recoup.cases.opening import open_case
from recoup.config import Settings
from recoup.evidence.models import EvidenceItem
from recoup.ledger.service import merchant_accounts, verify_ledger
from recoup.transactions.importer import ImportOptions, ImportReport, import_file

SALE_RRN = "610000000001"
SALE_MINOR = 128000
FUNDS_RRN = "610000000009"  # another settled sale, so the merchant's balance covers a chargeback
NOW = WHEN + timedelta(days=5)  # 2026-10-17 10:30 in Shanghai


def ops(world: World, tenant: str = "A") -> Principal:
    return principal(world.database, World.username(tenant, Role.ACQUIRER_OPS))


def sale_case(world: World, when: datetime = WHEN) -> str:
    """The settled sale (made at `when`) and its case, opened by hand for it; returns the case number."""
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        add_sale(session, tenant_id, SALE_RRN, SALE_MINOR, when=when)
        add_sale(session, tenant_id, FUNDS_RRN, 500000, when=when)
        case = open_case(session, ops(world), CaseRequest(rrn=SALE_RRN, summary="cardholder disputes"), when)
        return case.number


def add_evidence(world: World, number: str, kind: str, name: str) -> int:
    """An evidence row as the vault stores it (the file itself is not needed by disputes)."""
    sha = hashlib.sha256(f"{kind}:{name}".encode()).hexdigest()
    with world.database.unit_of_work() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        item = EvidenceItem(tenant_id=case.tenant_id, case_id=case.id, kind=kind, name=name,
                            content_type="image/png", size=1234, sha256=sha, key_id="k1", added_by="a-admin",
                            added_at=WHEN)
        session.add(item)
        session.flush()
        return item.id


SETTLEMENT_HEADER = ("settle_date,merchant_id,merchant_name,mcc,terminal_id,txn_time,txn_type,rrn,card,amount,fee,"
                     "net_amount,currency,order_no")


def settlement_file(path: Path, *lines: tuple[str, str, str]) -> Path:
    """A settlement file (SPEC section 3) of (txn_type, rrn, amount) lines of merchant A's terminal."""
    rows = [f"2026-10-20,{MERCHANT_A},Shop,5411,{TERMINAL_A},2026-10-12T10:30:00,{txn_type},{rrn},"
            f"622848******1234,{amount},0.00,{amount},CNY," for txn_type, rrn, amount in lines]
    return write_lines(path, SETTLEMENT_HEADER, *rows)


def import_settlement(world: World, settings: Settings, path: Path) -> ImportReport:
    with world.database.unit_of_work() as session:
        return import_file(session, ops(world), "settlement", path, settings, ImportOptions())


def available(world: World) -> int:
    with world.database.unit_of_work() as session:
        rows = merchant_accounts(session, ops(world), MERCHANT_A)
    return next(int(str(row["balance_minor"])) for row in rows if row["account"] == "AVAILABLE")


def ledger_ok(world: World) -> None:
    with world.database.unit_of_work() as session:
        verify_ledger(session)


def case_events(world: World, number: str) -> list[str]:
    with world.database.unit_of_work() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        query = select(CaseEvent.event).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        return list(session.execute(query).scalars())


__all__ = ["MERCHANT_A", "NOW", "WHEN"]
