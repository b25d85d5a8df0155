"""When a void (撤销) is still possible (SPEC section 6): the same day, before the batch settles.

After that the sale can only be refunded. "The same day" is the merchant's local day; a batch has
settled once the settlement shows any line of the terminal's batch.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.cases.models import Case
from recoup.errors import Conflict
from recoup.merchants.models import Merchant
from recoup.transactions.models import JournalLine, SettlementLine


class SaleFacts(Protocol):
    @property
    def terminal_id(self) -> str: ...
    @property
    def rrn(self) -> str: ...
    @property
    def settled(self) -> bool: ...
    @property
    def local_day(self) -> date | None: ...
    @property
    def batch_no(self) -> str: ...


def require_voidable(session: Session, case: Case, sale: SaleFacts, now: datetime) -> None:
    """SPEC section 6: a void is possible on the same day, before the batch settles; else refund."""
    if sale.settled:
        raise VoidTooLate(f"sale {sale.rrn} has settled, so it can no longer be voided: refund it instead")
    today = now.astimezone(ZoneInfo(merchant_timezone(session, case))).date()
    if sale.local_day is None:
        raise VoidTooLate(f"the day of sale {sale.rrn} is not known, and a void is only possible on the day of "
                          "the sale: refund it instead")
    if sale.local_day != today:
        raise VoidTooLate(f"sale {sale.rrn} was made on {sale.local_day.isoformat()} and today is "
                          f"{today.isoformat()} (merchant's time): a void is only possible on the same day, before "
                          "the batch settles; refund it instead", detail={"sale_day": sale.local_day.isoformat()})
    if _batch_settled(session, case, sale):
        raise VoidTooLate(f"batch {sale.batch_no} of terminal {sale.terminal_id} has settled, so sale {sale.rrn} "
                          "can no longer be voided: refund it instead", detail={"batch_no": sale.batch_no})


class VoidTooLate(Conflict):
    """A void asked for after the sale's day or its batch's settlement (409); a refund is the way."""


def merchant_timezone(session: Session, case: Case) -> str:
    merchant = session.get(Merchant, case.merchant_id)
    return (merchant.timezone if merchant is not None else "") or "Asia/Shanghai"


def _batch_settled(session: Session, case: Case, sale: SaleFacts) -> bool:
    """Whether the settlement already shows another line of the sale's terminal batch."""
    if not sale.batch_no:
        return False
    settled = select(SettlementLine.id).join(JournalLine, (JournalLine.tenant_id == SettlementLine.tenant_id)
                                             & (JournalLine.terminal_id == SettlementLine.terminal_id)
                                             & (JournalLine.rrn == SettlementLine.rrn)).where(
        JournalLine.tenant_id == case.tenant_id, JournalLine.terminal_id == sale.terminal_id,
        JournalLine.batch_no == sale.batch_no).limit(1)
    return session.execute(settled).first() is not None


def merchant_local_day(session: Session, case: Case, moment: datetime | None) -> date | None:
    return moment.astimezone(ZoneInfo(merchant_timezone(session, case))).date() if moment is not None else None

