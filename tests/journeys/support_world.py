"""What the role journeys prepare on the demo data before the person starts: cases escalated to a rung (as
the merchant's finance would have), a scheme dispute due in two days, the merchant's facts for a file the
finance journey writes, and those files (journal, orders, settlement) in the layouts the imports page reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from tests.cases.test_case_world import principal
from tests.support.journals import csv_bytes

from recoup.cases.ladder import Rung
from recoup.cases.models import Case
from recoup.cases.service import escalate_case
from recoup.config import Settings
from recoup.db import Database
from recoup.disputes.service import OpenRequest, open_dispute
from recoup.merchants.models import Merchant, Terminal
from recoup.transactions.layouts import ORDER_LAYOUT, SETTLEMENT_LAYOUT

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Shop:
    merchant_id: str
    name: str
    mcc: str
    terminals: tuple[str, ...]


def shop_of(database: Database, username: str) -> Shop:
    """The first merchant a merchant user works for (by id), with its terminals (by id)."""
    user = principal(database, username)
    merchant_id = sorted(user.merchant_ids)[0]
    with database.unit_of_work() as session:
        merchant = session.execute(select(Merchant).where(Merchant.merchant_id == merchant_id)).scalar_one()
        terminals = session.execute(select(Terminal.terminal_id).where(Terminal.merchant_id == merchant_id)
                                    .order_by(Terminal.terminal_id)).scalars().all()
        return Shop(merchant_id, merchant.name, merchant.mcc or "5311", tuple(terminals))


def open_cases_at_merchant(database: Database, merchant_id: str) -> list[str]:
    """The numbers of the merchant's open "debited but failed" cases still at its rung, oldest first."""
    with database.unit_of_work() as session:
        return list(session.execute(select(Case.number).where(
            Case.merchant_id == merchant_id, Case.state == "OPEN", Case.rung == Rung.MERCHANT.value,
            Case.kind == "DEBITED_BUT_FAILED").order_by(Case.number)).scalars())


def escalate(database: Database, username: str, number: str, reason: str) -> None:
    with database.unit_of_work() as session:
        escalate_case(session, principal(database, username), number, reason, datetime.now(UTC))


def dispute_due_in_two_days(database: Database, number: str) -> int:
    """A UnionPay chargeback on the case's sale, received today, to be answered in two days."""
    now = datetime.now(UTC)
    today = now.astimezone(SHANGHAI).date()
    with database.unit_of_work() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        amount = f"{case.at_stake_minor / 100:.2f}"
        dispute = open_dispute(session, principal(database, "acquirer"), number, OpenRequest(
            scheme="UNIONPAY", stage="CHARGEBACK", reason_code="4507", amount=amount,
            received_on=today.isoformat(), due_on=(today + timedelta(days=2)).isoformat()), now)
        return int(dispute.id)


def something_to_read(database: Database, settings: Settings) -> None:
    """A dispute and a complaint for the auditor to read, whichever journeys ran before (or not) on this demo."""
    from recoup.complaints.intake import file_against_provider
    from recoup.complaints.models import Complaint
    from recoup.complaints.rules import Facts
    from recoup.disputes.models import Dispute

    shop = shop_of(database, "finance")
    with database.unit_of_work() as session:
        disputes = session.execute(select(Dispute.id).limit(1)).first()
        complaints = session.execute(select(Complaint.id).limit(1)).first()
    if disputes is None:
        dispute_due_in_two_days(database, open_cases_at_merchant(database, shop.merchant_id)[-1])
    if complaints is None:
        facts = Facts(212000, "CNY", None, "0218", "", "顾客说应付212元，终端扣了2120元。")
        with database.unit_of_work() as session:
            file_against_provider(session, settings, principal(database, "finance"), shop.merchant_id, facts,
                                  datetime.now(UTC))


@dataclass(frozen=True)
class Sale:
    """The sale the customer complains of: 2,120.00 charged for an order of 212.00, card ending 0218."""
    shop: Shop
    terminal: str
    day: date
    rrn: str = "632011200218"
    order_no: str = "NO20261120021801"
    card: str = "621700******0218"

    @property
    def at(self) -> str:
        return f"{self.day.isoformat()}T16:40:00+08:00"


def orders_file(sale: Sale) -> bytes:
    shop = sale.shop
    return csv_bytes(f"{sale.order_no},{shop.merchant_id},{sale.terminal},{sale.day.isoformat()}T16:38:00+08:00,"
                     "212.00,CNY,001", header=",".join(ORDER_LAYOUT))


def journal_file(sale: Sale) -> bytes:
    return csv_bytes(f"{sale.shop.merchant_id},{sale.terminal},{sale.at},SALE,APPROVED,2120.00,CNY,{sale.rrn},"
                     f"020218,802218,{sale.card},{sale.order_no},001,,000218")


def settlement_file(sale: Sale, *, refund: bool = False, settled: date | None = None) -> bytes:
    """The settlement of the sale (the next day), or of the refund of the 1,908.00 charged too much."""
    shop = sale.shop
    day = settled or sale.day + timedelta(days=1)
    if refund:
        line = (f"{day.isoformat()},{shop.merchant_id},{shop.name},{shop.mcc},{sale.terminal},{day.isoformat()}"
                f"T10:00:00+08:00,REFUND,633011200218,{sale.card},1908.00,0.00,1908.00,CNY,{sale.order_no}")
    else:
        line = (f"{day.isoformat()},{shop.merchant_id},{shop.name},{shop.mcc},{sale.terminal},{sale.at},SALE,"
                f"{sale.rrn},{sale.card},2120.00,12.72,2107.28,CNY,{sale.order_no}")
    return csv_bytes(line, header=",".join(SETTLEMENT_LAYOUT))
