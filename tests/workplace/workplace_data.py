"""Rows for the workplace tests, written straight to the tables with a fixed clock (no run of the engine)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.support.factories import OBJECTS, World

from recoup.auth.models import User
from recoup.auth.principal import Principal
from recoup.auth.roles import Role
from recoup.auth.service import principal_for
from recoup.cases.models import Case
from recoup.disputes.models import Dispute
from recoup.reconciliation.models import ReconciliationRun, StoredFinding
from recoup.recovery.models import RecoveryAction

# Friday 2026-11-20, 18:00 in Shanghai (UTC+8): the merchants' day ends at 16:00 UTC, their week began on
# Monday 2026-11-16 00:00 local = 2026-11-15 16:00 UTC.
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
_numbers = count(1)


def principal(session: Session, username: str) -> Principal:
    user = session.execute(select(User).where(User.username == username)).scalar_one()
    return principal_for(session, user, "web")


def add_case(session: Session, world: World, *, deadline: datetime, tenant: str = "A", kind: str = "OVERCHARGE",
             state: str = "OPEN", rung: str = "MERCHANT", owner: str = "", owner_role: str = "merchant_finance",
             at_stake_minor: int = 115200, opened_at: datetime = NOW - timedelta(days=30)) -> Case:
    case = Case(number=f"RC-2026-{900000 + next(_numbers):06d}", tenant_id=world.tenants[tenant].id,
                merchant_id=OBJECTS[tenant][0], terminal_id=OBJECTS[tenant][1], kind=kind,
                direction="MERCHANT_OWES_PAYER", currency="CNY", at_stake_minor=at_stake_minor, state=state,
                rung=rung, rung_started_at=opened_at,
                deadline_at=deadline, owner=owner, owner_role=owner_role, opened_by="test", opened_at=opened_at,
                updated_at=opened_at)
    session.add(case)
    session.flush()
    return case


def add_finding(session: Session, world: World, *, kind: str, seen_at: datetime, tenant: str = "A") -> StoredFinding:
    tenant_id = world.tenants[tenant].id
    run = ReconciliationRun(tenant_id=tenant_id, run_by="test", saved_at=seen_at)
    session.add(run)
    session.flush()
    number = next(_numbers)
    finding = StoredFinding(tenant_id=tenant_id, finding_id=f"F-{number}", run_id=run.id, last_run_id=run.id,
                            kind=kind, merchant_id=OBJECTS[tenant][0], terminal_id=OBJECTS[tenant][1],
                            rrn=f"{number:012d}", charged_minor=2000, expected_minor=1000, difference_minor=1000,
                            currency="CNY", first_seen_at=seen_at)
    session.add(finding)
    session.flush()
    return finding


def add_recovery(session: Session, case: Case, *, amount_minor: int, confirmed_at: datetime | None) -> None:
    number = next(_numbers)
    session.add(RecoveryAction(
        tenant_id=case.tenant_id, case_id=case.id, merchant_id=case.merchant_id, kind="REFUND",
        status="CONFIRMED" if confirmed_at else "INSTRUCTED", amount_minor=amount_minor, currency=case.currency,
        idempotency_key=f"k-{number}", request_hash="h", requested_by="test", requested_at=NOW - timedelta(days=9),
        confirmed_at=confirmed_at))
    session.flush()


def add_dispute(session: Session, case: Case, *, due_on: date, state: str = "AWAITING_RESPONSE") -> Dispute:
    dispute = Dispute(tenant_id=case.tenant_id, case_id=case.id, merchant_id=case.merchant_id, scheme="UNIONPAY",
                      stage="CHARGEBACK", state=state, reason_code="4507", amount_minor=case.at_stake_minor,
                      currency=case.currency, received_on=due_on - timedelta(days=30), due_on=due_on,
                      opened_by="test", opened_at=NOW - timedelta(days=20), updated_at=NOW - timedelta(days=20))
    session.add(dispute)
    session.flush()
    return dispute


def username(role: Role, tenant: str = "A") -> str:
    return World.username(tenant, role)
