"""The stored ledger (SPEC section 6): idempotent postings, balances, holds, verification, settlements.

Postings come from the pure templates of `recoup.ledger.rules`; this module stores them, keeps
each account's balance next to its lines and proves both agree. Services flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby
from typing import Any, cast

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session, make_transient_to_detached

from recoup.auth.principal import Principal
from recoup.db import exclusive as exclusive  # where it lived before; callers still import it from here
from recoup.db import upsert_for, utcnow
from recoup.errors import Conflict
from recoup.ledger import rules
from recoup.ledger.links import verify_links
from recoup.ledger.models import LedgerBalance, LedgerEntry, LedgerPosting
from recoup.ledger.rules import Account, BalanceKey, LedgerLine
from recoup.ledger.sales import verify_sale_limits
from recoup.ledger.settlement import MONEY_OUT_TYPES as MONEY_OUT_TYPES
from recoup.ledger.settlement import SALE_TYPES as SALE_TYPES
from recoup.ledger.settlement import SETTLEMENT_KIND_PREFIX, book_settlement_lines
from recoup.merchants.repository import get_merchant
from recoup.money import format_major
from recoup.transactions.models import SettlementLine

# Merchant accounts in the order a person reads them.
ACCOUNT_ORDER = (Account.AVAILABLE, Account.HELD, Account.PENDING_SETTLEMENT, Account.RECEIVABLE_FROM_PAYER,
                 Account.PAYABLE_TO_PAYER, Account.FEES)


class InsufficientFunds(Conflict):
    """The available balance does not cover money that must go out."""


@dataclass(frozen=True)
class LedgerReport:
    postings: int
    lines: int
    accounts: int
    sales: int = 0  # sales whose refunds and voids stay within them
    unknown_sales: int = 0  # sales with actions that no stored line or finding shows (not checked)


def txn_key(terminal_id: str, rrn: str, txn_type: str) -> str:
    """The name of a real transaction's money in the ledger (see LedgerPosting.txn_key)."""
    return f"{terminal_id}:{rrn}:{txn_type}"


def post(
    session: Session, tenant_id: int, reference: str, kind: str, lines: Sequence[LedgerLine], *,
    txn_key: str | None = None, case_id: int | None = None, action_id: int | None = None,
    memo: str = "", posted_by: str = "system",
) -> LedgerPosting:
    """Store a balanced posting once per reference: the same reference again returns the first."""
    rules.verify([lines])
    values = {"tenant_id": tenant_id, "merchant_id": lines[0].merchant_id, "reference": reference, "kind": kind,
              "txn_key": txn_key, "case_id": case_id, "action_id": action_id, "memo": memo, "posted_by": posted_by,
              "posted_at": utcnow()}
    with session.no_autoflush:  # the ledger's own rows only: what else the session holds is flushed when it is due
        posting_id = session.execute(_insert_posting(upsert_for(session)), values).scalar_one_or_none()
        if posting_id is None:  # the reference was posted before (or by a concurrent transaction, now committed)
            existing = posting_by_reference(session, tenant_id, reference)
            assert existing is not None
            return existing
        session.execute(_INSERT_ENTRIES, [{"posting_id": posting_id, "tenant_id": tenant_id,
                                           "merchant_id": line.merchant_id, "account": line.account.value,
                                           "currency": line.currency, "amount_minor": line.amount_minor}
                                          for line in lines])
        _add_to_balances(session, tenant_id, rules.balances(lines))
    posting = LedgerPosting(id=posting_id, **values)
    make_transient_to_detached(posting)  # as if read back: in the session, its values stored, nothing to flush
    session.add(posting)
    return posting


# A posting is one INSERT that does nothing when its reference is taken (then the stored one is read), its lines one
# executemany: Core statements built once per dialect. Asking for the reference first, and inserting through the ORM,
# was two more statements a posting and a flush of whatever else the session held (a first refund makes two).
_POSTINGS: Any = LedgerPosting.__table__
_INSERT_ENTRIES = insert(cast(Any, LedgerEntry.__table__))
_POSTING_COLUMNS = ("tenant_id", "merchant_id", "reference", "kind", "txn_key", "case_id", "action_id", "memo",
                    "posted_by", "posted_at")


@lru_cache(maxsize=2)
def _insert_posting(dialect_insert: Callable[[Any], Any]) -> Any:
    """The posting's INSERT for the dialect's insert (recoup.db.upsert_for)."""
    named: dict[str, Any] = {name: bindparam(name) for name in _POSTING_COLUMNS}
    return (dialect_insert(_POSTINGS).values(named).on_conflict_do_nothing(index_elements=["tenant_id", "reference"])
            .returning(_POSTINGS.c.id))


# Asked when a posting's reference is taken, and by the ledger's pages: built once (building a statement and its
# cache key anew cost about 0.09 ms of CPU each time).
_POSTING_BY_REFERENCE = select(LedgerPosting).where(LedgerPosting.tenant_id == bindparam("tenant_id"),
                                                    LedgerPosting.reference == bindparam("reference"))
_AVAILABLE = select(LedgerBalance.balance_minor).where(
    LedgerBalance.tenant_id == bindparam("tenant_id"), LedgerBalance.merchant_id == bindparam("merchant_id"),
    LedgerBalance.account == Account.AVAILABLE.value, LedgerBalance.currency == bindparam("currency"))
_AVAILABLE_LOCKED = _AVAILABLE.with_for_update()


def posting_by_reference(session: Session, tenant_id: int, reference: str) -> LedgerPosting | None:
    return session.execute(_POSTING_BY_REFERENCE, {"tenant_id": tenant_id, "reference": reference}).scalar_one_or_none()


def txn_booked(session: Session, tenant_id: int, key: str, *, by_settlement: bool) -> bool:
    """Whether a posting already books the money of transaction `key`: a settlement posting
    (`by_settlement`), or another one (a recovery confirmation, a capture)."""
    kinds = LedgerPosting.kind.startswith(SETTLEMENT_KIND_PREFIX)
    query = select(LedgerPosting.id).where(LedgerPosting.tenant_id == tenant_id, LedgerPosting.txn_key == key,
                                           kinds if by_settlement else ~kinds)
    return session.execute(query.limit(1)).first() is not None


def balance_map(session: Session, tenant_id: int, merchant_id: str) -> dict[BalanceKey, int]:
    rows = session.execute(
        select(LedgerBalance.account, LedgerBalance.currency, LedgerBalance.balance_minor)
        .where(LedgerBalance.tenant_id == tenant_id, LedgerBalance.merchant_id == merchant_id)
    )
    return {BalanceKey(merchant_id, Account(account), currency): balance for account, currency, balance in rows}


def available_minor(session: Session, tenant_id: int, merchant_id: str, currency: str, *, lock: bool) -> int:
    """The merchant's available balance; with `lock`, the row stays locked until the caller commits."""
    if lock:
        exclusive(session)
    named = {"tenant_id": tenant_id, "merchant_id": merchant_id, "currency": currency}
    found = session.execute(_AVAILABLE_LOCKED if lock else _AVAILABLE, named).scalar_one_or_none()
    return found or 0


def hold(session: Session, tenant_id: int, merchant_id: str, amount_minor: int, currency: str, reference: str,
         *, case_id: int | None = None, action_id: int | None = None) -> bool:
    """Check that the available balance covers the amount and hold it; False (nothing held) if short."""
    available = available_minor(session, tenant_id, merchant_id, currency, lock=True)
    if available < amount_minor:
        return False
    post(session, tenant_id, reference, "hold", rules.hold_for_refund(merchant_id, amount_minor, currency),
         case_id=case_id, action_id=action_id, memo="held before money goes out")
    return True


def merchant_accounts(session: Session, principal: Principal, merchant_id: str) -> list[dict[str, object]]:
    """Every merchant account with its balance, per currency the merchant has (CNY when none yet)."""
    merchant = get_merchant(session, principal, merchant_id)
    balances = balance_map(session, merchant.tenant_id, merchant.merchant_id)
    currencies = sorted({key.currency for key in balances}) or ["CNY"]
    return [
        {"merchant_id": merchant.merchant_id, "account": account.value, "currency": currency,
         "balance_minor": balances.get(BalanceKey(merchant.merchant_id, account, currency), 0),
         "balance": format_major(balances.get(BalanceKey(merchant.merchant_id, account, currency), 0), currency)}
        for currency in currencies for account in ACCOUNT_ORDER
    ]


def verify_ledger(session: Session, tenant_id: int | None = None) -> LedgerReport:
    """Prove every line belongs to a posting of its tenant, every posting balances, every stored balance
    equals the sum of its lines and no sale gives back more than it took; raises LedgerIntegrityError
    naming the first line, posting, account or sale that does not."""
    verify_links(session, tenant_id)  # what foreign keys guarded before migration 0016
    counted = {"postings": 0, "lines": 0}

    def postings() -> Iterator[list[LedgerLine]]:
        query = select(LedgerEntry).order_by(LedgerEntry.posting_id, LedgerEntry.id)
        if tenant_id is not None:
            query = query.where(LedgerEntry.tenant_id == tenant_id)
        entries = session.execute(query.execution_options(yield_per=5000)).scalars()
        for _, group in groupby(entries, key=lambda entry: entry.posting_id):
            lines = [LedgerLine(Account(e.account), e.merchant_id, e.amount_minor, e.currency) for e in group]
            counted["postings"] += 1
            counted["lines"] += len(lines)
            yield lines

    stored_query = select(LedgerBalance)
    if tenant_id is not None:
        stored_query = stored_query.where(LedgerBalance.tenant_id == tenant_id)
    stored: dict[BalanceKey, int] = {}
    for row in session.execute(stored_query).scalars():
        key = BalanceKey(row.merchant_id, Account(row.account), row.currency)
        stored[key] = stored.get(key, 0) + row.balance_minor
    recomputed = rules.verify(postings(), stored)
    sales = verify_sale_limits(session, tenant_id)
    return LedgerReport(counted["postings"], counted["lines"], len(recomputed), sales.checked, sales.unknown)


def post_settlement(session: Session, lines: Sequence[SettlementLine]) -> int:
    """Book cleared settlement lines; idempotent per line id. Returns the number newly posted.

    Sales move the net amount to AVAILABLE and the fee to FEES (out of PENDING_SETTLEMENT when a
    capture or a QR collection already booked the sale). Refunds, voids and reversals leave
    AVAILABLE, unless a recovery confirmation already booked that very transaction. An import books
    its lines with `recoup.ledger.settlement.book_settlement`, the same postings set-based.
    """
    return book_settlement_lines(session, lines)


def _add_to_balances(session: Session, tenant_id: int, amounts: dict[BalanceKey, int]) -> None:
    """Every changed balance by one executemany of one upsert (a key once: a row is changed once by it), its rows
    sorted, so that concurrent postings lock balance rows in the same order."""
    if not amounts:
        return
    session.execute(_upsert_balance(upsert_for(session)), [
        {"tenant_id": tenant_id, "merchant_id": key.merchant_id, "account": key.account.value,
         "currency": key.currency, "balance_minor": amount} for key, amount in sorted(amounts.items())])


# Built once per dialect: a multi-row VALUES built per call is compiled anew each time (SQLAlchemy keeps no compiled
# form of one), about 0.15 ms of CPU a posting.
_BALANCES: Any = LedgerBalance.__table__


@lru_cache(maxsize=2)
def _upsert_balance(dialect_insert: Callable[[Any], Any]) -> Any:
    """The balances' upsert for the dialect's insert (recoup.db.upsert_for)."""
    statement = dialect_insert(_BALANCES)
    return statement.on_conflict_do_update(index_elements=["tenant_id", "merchant_id", "account", "currency"],
                                           set_={"balance_minor": _BALANCES.c.balance_minor
                                                 + statement.excluded.balance_minor})
