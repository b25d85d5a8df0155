"""A small world of stored transactions and findings for the case, ledger and recovery tests.

Findings are built by `make_finding` (a dataclass shaped like `recoup.reconciliation.store.FindingLike`),
transactions are stored as the imports would store them. The tests at the end check the helpers
against the behaviour other tests rely on.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.support.factories import OBJECTS, World

from recoup.auth.models import User
from recoup.auth.principal import Principal
from recoup.auth.roles import Role
from recoup.auth.service import principal_for
from recoup.cases.models import Case
from recoup.cases.repository import alerts_of, timeline
from recoup.cases.service import close_case
from recoup.db import Database
from recoup.ledger.service import post_settlement
from recoup.reconciliation.models import StoredFinding
from recoup.reconciliation.store import SaveReport, save_findings
from recoup.transactions.models import JournalLine, SettlementLine

MERCHANT_A, TERMINAL_A = OBJECTS["A"]
MERCHANT_B, TERMINAL_B = OBJECTS["B"]
WHEN = datetime(2026, 10, 12, 2, 30, tzinfo=UTC)  # 10:30 in Shanghai


@dataclass(frozen=True)
class Finding:
    kind: str
    merchant_id: str
    rrn: str | None
    charged_minor: int
    expected_minor: int
    terminal_id: str | None = TERMINAL_A
    related_rrn: str | None = None
    order_no: str | None = None
    cause: str | None = None
    currency: str = "CNY"
    confidence: float = 0.9
    reason_codes: tuple[str, ...] = field(default=())
    explanation: str = "test finding"

    @property
    def difference_minor(self) -> int:
        return self.charged_minor - self.expected_minor

    @property
    def finding_id(self) -> str:
        key = f"{self.kind}|{self.merchant_id}|{self.terminal_id}|{self.rrn}|{self.related_rrn}|{self.order_no}"
        return "F-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def principal(database: Database, username: str) -> Principal:
    with database.unit_of_work() as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one()
        return principal_for(session, user, "test")


def admin(world: World, tenant: str = "A") -> Principal:
    return principal(world.database, World.username(tenant, Role.ADMIN))


def add_sale(session: Session, tenant_id: int, rrn: str, amount_minor: int, *, merchant_id: str = MERCHANT_A,
             terminal_id: str = TERMINAL_A, settled: bool = True, order_no: str = "", status: str = "APPROVED",
             when: datetime = WHEN) -> JournalLine:
    """A sale in the journal and, when `settled`, its settlement line (booked in the ledger)."""
    sale = JournalLine(tenant_id=tenant_id, merchant_id=merchant_id, terminal_id=terminal_id, txn_time=when,
                       local_date=date(2026, 10, 12), txn_type="SALE", status=status, amount_minor=amount_minor,
                       currency="CNY", rrn=rrn, stan=rrn[-6:], card_masked="622848******1234", card_last4="1234",
                       order_no=order_no)
    session.add(sale)
    session.flush()
    if settled:
        settle(session, tenant_id, "SALE", rrn, amount_minor, merchant_id=merchant_id, terminal_id=terminal_id,
               order_no=order_no)
    return sale


def settle(session: Session, tenant_id: int, txn_type: str, rrn: str, amount_minor: int, *, fee_minor: int = 0,
           merchant_id: str = MERCHANT_A, terminal_id: str = TERMINAL_A, order_no: str = "",
           extra: dict[str, str] | None = None, settle_date: date = date(2026, 10, 13),
           post: bool = True) -> SettlementLine:
    line = SettlementLine(tenant_id=tenant_id, settle_date=settle_date, merchant_id=merchant_id, mcc="5411",
                          terminal_id=terminal_id, txn_time=WHEN, local_date=date(2026, 10, 12), txn_type=txn_type,
                          rrn=rrn, card_masked="622848******1234", card_last4="1234", amount_minor=amount_minor,
                          fee_minor=fee_minor, net_minor=amount_minor - fee_minor, currency="CNY",
                          order_no=order_no, extra=extra)
    session.add(line)
    session.flush()
    if post:
        post_settlement(session, [line])
    return line


def journal_line(session: Session, tenant_id: int, txn_type: str, rrn: str, amount_minor: int, *,
                 orig_rrn: str = "", order_no: str = "", merchant_id: str = MERCHANT_A,
                 terminal_id: str = TERMINAL_A, when: datetime | None = None) -> JournalLine:
    line = JournalLine(tenant_id=tenant_id, merchant_id=merchant_id, terminal_id=terminal_id,
                       txn_time=when or WHEN + timedelta(days=1), local_date=date(2026, 10, 13), txn_type=txn_type,
                       status="APPROVED", amount_minor=amount_minor, currency="CNY", rrn=rrn, stan=rrn[-6:],
                       card_masked="622848******1234", card_last4="1234", order_no=order_no, orig_rrn=orig_rrn)
    session.add(line)
    session.flush()
    return line


def save(world: World, findings: list[Finding], tenant: str = "A", now: datetime | None = None) -> SaveReport:
    who = admin(world, tenant)
    with world.database.unit_of_work() as session:
        return save_findings(session, who, findings, now)


def case_numbered(database: Database, number: str) -> Case:
    with database.unit_of_work() as session:
        return session.execute(select(Case).where(Case.number == number)).scalar_one()


def overcharge_case(world: World, *, sale_minor: int = 128000, expected_minor: int = 12800,
                    rrn: str = "400000000001", fund_minor: int = 0) -> str:
    """A stored, settled sale of 1280.00 for an order of 128.00 and its OVERCHARGE case."""
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        add_sale(session, tenant_id, rrn, sale_minor, order_no="NO-1")
        if fund_minor:
            add_sale(session, tenant_id, "499999999999", fund_minor)
    report = save(world, [Finding("OVERCHARGE", MERCHANT_A, rrn, sale_minor, expected_minor, order_no="NO-1",
                                  cause="EXTRA_DIGIT")])
    return report.cases[0]


# --- opening cases from findings ------------------------------------------------------------------

def test_every_finding_gets_a_case_numbered_per_year(world: World) -> None:
    report = save(world, [Finding("DUPLICATE_CHARGE", MERCHANT_A, "410000000001", 5000, 0, related_rrn="410000000000"),
                          Finding("UNSETTLED", MERCHANT_A, "410000000002", 7000, 7000),
                          Finding("UNPAID_ORDER", MERCHANT_A, None, 0, 8800, order_no="NO-9", terminal_id=None)])
    assert (report.findings, report.new_findings, report.cases_opened, report.cases_joined) == (3, 3, 3, 0)
    assert all(re.fullmatch(r"RC-\d{4}-\d{6}", number) for number in report.cases)
    assert len(set(report.cases)) == 3
    cases = [case_numbered(world.database, number) for number in report.cases]
    assert [(c.kind, c.direction, c.at_stake_minor, c.state, c.rung) for c in cases] == [
        ("DUPLICATE_CHARGE", "MERCHANT_OWES_PAYER", 5000, "OPEN", "MERCHANT"),
        ("UNSETTLED", "ACQUIRER_OWES_MERCHANT", 7000, "OPEN", "MERCHANT"),
        ("UNPAID_ORDER", "PAYER_OWES_MERCHANT", 8800, "OPEN", "MERCHANT"),
    ]


def test_a_second_finding_on_the_same_transaction_joins_its_case(world: World) -> None:
    first = save(world, [Finding("DEBITED_BUT_FAILED", MERCHANT_A, "420000000001", 9900, 0,
                                 related_rrn="420000000002")])
    second = save(world, [Finding("SETTLEMENT_MISMATCH", MERCHANT_A, "420000000001", 9000, 9900),
                          Finding("OVER_REFUND", MERCHANT_A, "420000000009", 12000, 9900, related_rrn="420000000001")])
    assert (second.cases_opened, second.cases_joined) == (0, 2)
    assert set(second.cases) == set(first.cases)
    with world.database.unit_of_work() as session:
        case = session.execute(select(Case).where(Case.number == first.cases[0])).scalar_one()
        events = [e.event for e in timeline(session, case.id)]
    assert events.count("finding_joined") == 2
    assert case.at_stake_minor == 9900  # the joined findings are other money (other directions)


def test_all_mcc_mismatch_lines_of_one_terminal_and_day_make_one_case(world: World) -> None:
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        for rrn in ("430000000001", "430000000002"):
            settle(session, tenant_id, "SALE", rrn, 1000)
        settle(session, tenant_id, "SALE", "430000000003", 1000, settle_date=date(2026, 10, 14), post=False)
    report = save(world, [Finding("MCC_MISMATCH", MERCHANT_A, rrn, 1000, 1000)
                          for rrn in ("430000000001", "430000000002")])
    assert (report.cases_opened, report.cases_joined) == (1, 1)
    assert case_numbered(world.database, report.cases[0]).at_stake_minor == 0


def test_saving_the_same_findings_again_changes_nothing(world: World) -> None:
    findings = [Finding("UNMATCHED_CHARGE", MERCHANT_A, "440000000001", 3000, 0)]
    first = save(world, findings)
    again = save(world, findings)
    assert (again.new_findings, again.cases_opened, again.cases_joined) == (0, 0, 0)
    with world.database.unit_of_work() as session:
        assert session.execute(select(func.count()).select_from(Case)).scalar_one() == 1
        assert session.execute(select(func.count()).select_from(StoredFinding)).scalar_one() == 1
    assert first.cases_opened == 1


def test_findings_of_merchants_outside_the_callers_tenant_are_skipped(world: World) -> None:
    report = save(world, [Finding("UNMATCHED_CHARGE", MERCHANT_B, "450000000001", 3000, 0, terminal_id=TERMINAL_B)])
    assert (report.skipped, report.cases_opened) == (1, 0)
    assert MERCHANT_B in report.summary()
    with world.database.unit_of_work() as session:
        assert session.execute(select(func.count()).select_from(StoredFinding)).scalar_one() == 0


def test_a_finding_on_a_closed_case_is_linked_and_alerts_without_changing_it(world: World) -> None:
    number = save(world, [Finding("UNMATCHED_CHARGE", MERCHANT_A, "460000000001", 3000, 0)]).cases[0]
    with world.database.unit_of_work() as session:
        close_case(session, admin(world), number, "not a mis-charge", "REJECTED")
    save(world, [Finding("SETTLEMENT_MISMATCH", MERCHANT_A, "460000000001", 3100, 3000)])
    case = case_numbered(world.database, number)
    assert (case.state, case.at_stake_minor) == ("REJECTED", 3000)
    with world.database.unit_of_work() as session:
        assert [a.kind for a in alerts_of(session, case.id)] == ["FINDING_ON_CLOSED_CASE"]


def test_findings_of_one_run_on_the_same_transaction_share_one_case(world: World) -> None:
    report = save(world, [Finding("DUPLICATE_CHARGE", MERCHANT_A, "470000000001", 5000, 0, related_rrn="470000000000"),
                          Finding("UNMATCHED_CHARGE", MERCHANT_A, "470000000001", 5000, 0),
                          Finding("SETTLEMENT_MISMATCH", MERCHANT_A, "470000000001", 4000, 5000),
                          Finding("UNSETTLED", MERCHANT_A, "470000000002", 7000, 7000)])
    assert (report.cases_opened, report.cases_joined) == (2, 2)
    first, second = report.cases[0], report.cases[3]
    assert report.cases == [first, first, first, second]
    case = case_numbered(world.database, first)
    assert case.at_stake_minor == 10000  # the same money joins (payer owed twice); the acquirer's shortfall does not
    with world.database.unit_of_work() as session:
        events = [(e.event, (e.data or {}).get("at_stake_minor_after")) for e in timeline(session, case.id)]
    assert events == [("opened", None), ("finding_joined", 10000), ("finding_joined", 10000)]


def test_a_saved_run_is_audited_and_announced_case_by_case(world: World) -> None:
    from recoup.audit.models import AuditEntry
    from recoup.keys.ring import KeyRing
    from recoup.webhooks.models import WebhookDelivery, WebhookEvent
    from recoup.webhooks.service import add_endpoint

    with world.database.unit_of_work() as session:
        add_endpoint(session, admin(world), "http://127.0.0.1:9/hooks", keys=KeyRing.from_texts({"data": "k"}))
    report = save(world, [Finding("UNMATCHED_CHARGE", MERCHANT_A, "480000000001", 3000, 0),
                          Finding("SETTLEMENT_MISMATCH", MERCHANT_A, "480000000001", 2900, 3000),
                          Finding("UNMATCHED_CHARGE", MERCHANT_A, "480000000002", 4000, 0)])
    with world.database.unit_of_work() as session:
        audited = [(e.action, e.object_id) for e in session.execute(
            select(AuditEntry).where(AuditEntry.action.in_(["case.open", "case.join", "reconciliation.save"]))
            .order_by(AuditEntry.seq)).scalars()]
        announced = [(e.type, e.payload["data"]["case"]["number"])  # type: ignore[index]
                     for e in session.execute(select(WebhookEvent)).scalars()]
        deliveries = session.execute(select(func.count()).select_from(WebhookDelivery)).scalar_one()
    first, _, second = report.cases
    assert audited == [("case.open", first), ("case.join", first), ("case.open", second),
                       ("reconciliation.save", str(report.run_id))]
    assert sorted(announced) == sorted([("case.opened", first), ("case.updated", first), ("case.opened", second)])
    assert deliveries == 3


def test_a_finding_that_is_our_own_recovery_is_explained_on_its_case(world: World) -> None:
    from recoup.recovery.confirm import confirm_from_settlement
    from recoup.recovery.plans import ActionRequest
    from recoup.recovery.service import perform

    number = overcharge_case(world, fund_minor=500000)
    perform(world.database, admin(world), number, ActionRequest("refund", "1152.00"), "own-1")
    with world.database.unit_of_work() as session:  # the refund settles; the journal never shows it
        line = settle(session, world.tenants["A"].id, "REFUND", "490000000001", 115200, order_no="NO-1", post=False)
        assert confirm_from_settlement(session, [line]) == 1
    report = save(world, [Finding("UNKNOWN_SETTLEMENT", MERCHANT_A, "490000000001", 115200, 0)])
    assert (report.cases_opened, report.cases_joined, report.cases) == (0, 1, [number])
    with world.database.unit_of_work() as session:
        events = [e.event for e in timeline(session, case_numbered(world.database, number).id)]
        finding = session.execute(select(StoredFinding).where(StoredFinding.rrn == "490000000001")).scalar_one()
    assert events[-1] == "finding_explained"
    assert finding.case_id == case_numbered(world.database, number).id
