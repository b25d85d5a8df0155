"""Queries over stored transactions, always within the caller's tenant and merchants.

An object outside the caller's scope is NotFound, never Forbidden: its existence is not revealed.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Select, and_, bindparam, or_, select
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.auth.scoping import scoped
from recoup.errors import NotFound
from recoup.merchants.models import Merchant
from recoup.transactions.models import ImportBatch, JournalLine, Order, SettlementLine

SAME_TRANSACTION_WINDOW = timedelta(minutes=5)  # SPEC section 4: a line without RRN, by terminal, STAN and time


def scoped_journal(principal: Principal) -> Select[JournalLine]:
    return scoped(JournalLine, principal)


def scoped_settlement(principal: Principal) -> Select[SettlementLine]:
    return scoped(SettlementLine, principal)


def scoped_orders(principal: Principal) -> Select[Order]:
    return scoped(Order, principal)


def get_journal_line(session: Session, principal: Principal, line_id: int) -> JournalLine:
    found = session.execute(scoped_journal(principal).where(JournalLine.id == line_id)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no transaction {line_id}")
    return found


def get_settlement_line(session: Session, principal: Principal, line_id: int) -> SettlementLine:
    found = session.execute(scoped_settlement(principal).where(SettlementLine.id == line_id)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no settlement line {line_id}")
    return found


def settlement_of(session: Session, principal: Principal, line: JournalLine) -> list[SettlementLine]:
    """Settlement lines of the same transaction: same terminal and RRN (or STAN and time, without RRN)."""
    query = scoped_settlement(principal).where(SettlementLine.terminal_id == line.terminal_id)
    if line.rrn:
        query = query.where(SettlementLine.rrn == line.rrn)
    elif line.stan:
        query = query.where(SettlementLine.stan == line.stan,
                            SettlementLine.txn_time.between(line.txn_time - SAME_TRANSACTION_WINDOW,
                                                            line.txn_time + SAME_TRANSACTION_WINDOW))
    else:
        return []
    return list(session.execute(query.order_by(SettlementLine.settle_date, SettlementLine.id)).scalars())


def journal_of(session: Session, principal: Principal, line: SettlementLine) -> list[JournalLine]:
    query = scoped_journal(principal).where(JournalLine.terminal_id == line.terminal_id, JournalLine.rrn == line.rrn)
    return list(session.execute(query.order_by(JournalLine.txn_time, JournalLine.id)).scalars())


def order_of(session: Session, principal: Principal, merchant_id: str, order_no: str) -> Order | None:
    if not order_no:
        return None
    return session.execute(scoped_orders(principal).where(
        Order.merchant_id == merchant_id, Order.order_no == order_no)).scalar_one_or_none()


def related_lines(session: Session, principal: Principal, line: JournalLine) -> list[JournalLine]:
    """The original a void/refund/reversal names, and every line that names this one as its original."""
    conditions = []
    if line.rrn:  # (the orig_rrn index holds only the lines that name an original)
        conditions.append(and_(JournalLine.orig_rrn == line.rrn, JournalLine.orig_rrn != ""))
    if line.orig_rrn:
        conditions.append(JournalLine.rrn == line.orig_rrn)
        conditions.append(and_(JournalLine.orig_rrn == line.orig_rrn, JournalLine.id != line.id))
    if not conditions:
        return []
    query = scoped_journal(principal).where(JournalLine.merchant_id == line.merchant_id, or_(*conditions),
                                            JournalLine.id != line.id)
    return list(session.execute(query.order_by(JournalLine.txn_time, JournalLine.id)).scalars())


def sales_of_order(session: Session, principal: Principal, order: Order) -> list[JournalLine]:
    query = scoped_journal(principal).where(JournalLine.merchant_id == order.merchant_id,
                                            JournalLine.order_no == order.order_no)
    return list(session.execute(query.order_by(JournalLine.txn_time, JournalLine.id)).scalars())


# The merchants' zones, read on every search: the statement is built once per shape (a merchant role's list of
# merchants is an expanding parameter), so a request builds no statement and computes no cache key.
_ZONES = select(Merchant.merchant_id, Merchant.timezone).where(Merchant.tenant_id == bindparam("tenant_id"))
_ZONES_OF_MERCHANTS = _ZONES.where(Merchant.merchant_id.in_(bindparam("merchant_ids", expanding=True)))


def merchant_timezones(session: Session, principal: Principal) -> dict[str, str]:
    if principal.limited_to_merchants:
        rows = session.execute(_ZONES_OF_MERCHANTS, {"tenant_id": principal.tenant_id,
                                                     "merchant_ids": sorted(principal.merchant_ids)})
    else:
        rows = session.execute(_ZONES, {"tenant_id": principal.tenant_id})
    return {str(merchant_id): str(zone) for merchant_id, zone in rows}


def recent_imports(session: Session, principal: Principal, limit: int = 50) -> list[ImportBatch]:
    query = select(ImportBatch).where(ImportBatch.tenant_id == principal.tenant_id)
    if principal.limited_to_merchants:  # merchant users see the files they imported themselves
        query = query.where(ImportBatch.imported_by == principal.username)
    return list(session.execute(query.order_by(ImportBatch.id.desc()).limit(limit)).scalars())
