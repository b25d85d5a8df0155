"""One settled sale of 796.00 that three cases concern (issue 10, defect 1), and what the race and
crash tests read back: the actions, the audit trail, the ledger.

Case A is the duplicate charge found on the sale itself, case B the duplicate found on a second
charge that names the sale, case C a case opened by hand for the merchant; every refund of the
sale names it by its RRN (`--rrn`), whichever case asks.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from tests.cases.test_case_world import MERCHANT_A, WHEN, Finding, add_sale, admin, save
from tests.support.factories import World

from recoup.audit.models import AuditEntry
from recoup.audit.service import verify
from recoup.cases.opening import OpenRequest, open_case
from recoup.ledger.service import LedgerReport, verify_ledger
from recoup.recovery.models import RecoveryAction

SALE_RRN, SECOND_CHARGE_RRN, FUNDS_RRN = "710000000001", "710000000002", "710000000009"
SALE_MINOR = 79600
FUNDS_MINOR = 5_000_000


@dataclass(frozen=True)
class SaleWorld:
    world: World
    cases: tuple[str, str, str]  # A (the sale's own), B (a duplicate naming it), C (opened by hand)


def sale_with_three_cases(world: World) -> SaleWorld:
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        add_sale(session, tenant_id, SALE_RRN, SALE_MINOR)
        add_sale(session, tenant_id, SECOND_CHARGE_RRN, SALE_MINOR)
        add_sale(session, tenant_id, FUNDS_RRN, FUNDS_MINOR)
    found = save(world, [Finding("DUPLICATE_CHARGE", MERCHANT_A, SALE_RRN, SALE_MINOR, 0),
                         Finding("DUPLICATE_CHARGE", MERCHANT_A, SECOND_CHARGE_RRN, SALE_MINOR, 0,
                                 related_rrn=SALE_RRN)], now=WHEN)
    with world.database.unit_of_work() as session:
        by_hand = open_case(session, admin(world), OpenRequest(merchant_id=MERCHANT_A, amount="796.00",
                                                               summary="the cashier reports a double charge"), WHEN)
        number = by_hand.number
    first, second = found.cases
    return SaleWorld(world, (first, second, number))


def actions(world: World) -> list[RecoveryAction]:
    with world.database.unit_of_work() as session:
        return list(session.execute(select(RecoveryAction).order_by(RecoveryAction.id)).scalars())


def counting_minor(world: World) -> int:
    """What the sale gives back: its refunds that are not failed."""
    return sum(a.amount_minor for a in actions(world) if a.sale_rrn == SALE_RRN and a.status != "FAILED")


def audit_actions(world: World) -> Counter[str]:
    """How many entries of each action the trail holds, once the whole chain is proved intact."""
    with world.database.unit_of_work() as session:
        checked, broken = verify(session)
        assert broken is None, broken
        entries = list(session.execute(select(AuditEntry.action)).scalars())
    assert checked == len(entries)
    return Counter(entries)


def refused_keys(world: World, action: str = "case.refund.refused") -> list[str]:
    """The idempotency keys of the refused attempts the audit trail holds."""
    with world.database.unit_of_work() as session:
        rows = session.execute(select(AuditEntry.after).where(AuditEntry.action == action)).scalars()
        return sorted(str((after or {}).get("idempotency_key")) for after in rows)


def ledger(world: World) -> LedgerReport:
    with world.database.unit_of_work() as session:
        return verify_ledger(session)
