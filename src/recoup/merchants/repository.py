"""Merchant and terminal queries, always within the caller's tenant and merchants."""

from __future__ import annotations

from sqlalchemy import Select
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.auth.scoping import scoped
from recoup.errors import NotFound
from recoup.merchants.models import Merchant, Terminal


def scoped_merchants(principal: Principal) -> Select[Merchant]:
    return scoped(Merchant, principal)


def scoped_terminals(principal: Principal) -> Select[Terminal]:
    return scoped(Terminal, principal)


def list_merchants(session: Session, principal: Principal) -> list[Merchant]:
    return list(session.execute(scoped_merchants(principal).order_by(Merchant.merchant_id)).scalars())


def get_merchant(session: Session, principal: Principal, merchant_id: str) -> Merchant:
    found = session.execute(
        scoped_merchants(principal).where(Merchant.merchant_id == merchant_id)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no merchant {merchant_id}")
    return found


def list_terminals(session: Session, principal: Principal, merchant_id: str | None = None) -> list[Terminal]:
    query = scoped_terminals(principal)
    if merchant_id:
        query = query.where(Terminal.merchant_id == merchant_id)
    return list(session.execute(query.order_by(Terminal.merchant_id, Terminal.terminal_id)).scalars())


def get_terminal(session: Session, principal: Principal, terminal_id: str, *, lock: bool = False) -> Terminal:
    query = scoped_terminals(principal).where(Terminal.terminal_id == terminal_id)
    if lock:
        query = query.with_for_update()
    found = session.execute(query).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no terminal {terminal_id}")
    return found
