"""What the ledger page and `recoup ledger postings` read: a merchant's postings (newest first) with their
lines, actions and cases, and its holds with what released each. Scoped: the merchant must be the caller's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.cases.models import Case
from recoup.ledger.models import LedgerEntry, LedgerPosting
from recoup.ledger.rules import Account
from recoup.merchants.models import Merchant
from recoup.merchants.repository import get_merchant
from recoup.recovery.models import RecoveryAction

HOLD_KIND = "hold"


@dataclass
class PostingRow:
    id: int
    posted_at: datetime
    kind: str
    reference: str
    memo: str
    posted_by: str
    case_number: str | None
    action_id: int | None
    action_kind: str | None
    lines: list[tuple[str, str, int]] = field(default_factory=list)  # account, currency, + debit / - credit


@dataclass
class HoldRow:
    posting: PostingRow
    amount_minor: int
    currency: str
    released_at: datetime | None = None
    released_by_kind: str | None = None


def ledger_merchant(session: Session, principal: Principal, merchant_id: str) -> Merchant:
    return get_merchant(session, principal, merchant_id)


def postings(session: Session, merchant: Merchant, *, since: datetime | None = None, until: datetime | None = None,
             offset: int = 0, limit: int | None = 50, kind: str | None = None) -> tuple[list[PostingRow], int]:
    """The merchant's postings, newest first, and how many there are in all (`until` excluded)."""
    where = [LedgerPosting.tenant_id == merchant.tenant_id, LedgerPosting.merchant_id == merchant.merchant_id]
    if since is not None:
        where.append(LedgerPosting.posted_at >= since)
    if until is not None:
        where.append(LedgerPosting.posted_at < until)
    if kind is not None:
        where.append(LedgerPosting.kind == kind)
    total = session.execute(select(func.count()).select_from(LedgerPosting).where(*where)).scalar_one()
    query = (select(LedgerPosting, Case.number, RecoveryAction.kind)
             .outerjoin(Case, Case.id == LedgerPosting.case_id)
             .outerjoin(RecoveryAction, RecoveryAction.id == LedgerPosting.action_id)
             .where(*where).order_by(LedgerPosting.posted_at.desc(), LedgerPosting.id.desc()).offset(offset))
    if limit is not None:
        query = query.limit(limit)
    rows = [PostingRow(p.id, p.posted_at, p.kind, p.reference, p.memo, p.posted_by, number, p.action_id, action_kind)
            for p, number, action_kind in session.execute(query).tuples()]
    _add_lines(session, merchant, rows)
    return rows, total


def _add_lines(session: Session, merchant: Merchant, rows: list[PostingRow]) -> None:
    by_id = {row.id: row for row in rows}
    if not by_id:
        return
    entries = session.execute(
        select(LedgerEntry.posting_id, LedgerEntry.account, LedgerEntry.currency, LedgerEntry.amount_minor)
        .where(LedgerEntry.tenant_id == merchant.tenant_id, LedgerEntry.posting_id.in_(sorted(by_id)))
        .order_by(LedgerEntry.posting_id, LedgerEntry.id)).tuples()
    for posting_id, account, currency, amount in entries:
        by_id[posting_id].lines.append((account, currency, amount))


def holds(session: Session, merchant: Merchant, limit: int = 50) -> list[HoldRow]:
    """The merchant's latest holds, each with the later posting of its action that took the money off HELD
    (a release when the provider failed, the payment itself), or none while it is still held."""
    rows, _ = postings(session, merchant, limit=limit, kind=HOLD_KIND)
    found = []
    for row in rows:
        held = [(currency, amount) for account, currency, amount in row.lines if account == Account.HELD.value]
        currency, amount = held[0] if held else ("CNY", 0)
        found.append(HoldRow(row, abs(amount), currency))
    _add_releases(session, merchant, found)
    return found


def _add_releases(session: Session, merchant: Merchant, found: list[HoldRow]) -> None:
    by_action = {hold.posting.action_id: hold for hold in found if hold.posting.action_id is not None}
    if not by_action:
        return
    releases = session.execute(
        select(LedgerPosting.action_id, LedgerPosting.kind, LedgerPosting.posted_at, LedgerEntry.amount_minor)
        .join(LedgerEntry, LedgerEntry.posting_id == LedgerPosting.id)
        .where(LedgerPosting.tenant_id == merchant.tenant_id, LedgerPosting.merchant_id == merchant.merchant_id,
               LedgerPosting.action_id.in_(sorted(by_action)), LedgerPosting.kind != HOLD_KIND,
               LedgerEntry.account == Account.HELD.value)
        .order_by(LedgerPosting.posted_at, LedgerPosting.id)).tuples()
    for action_id, kind, posted_at, amount in releases:
        hold = by_action.get(action_id) if action_id is not None else None
        held_sign = next((a for acc, _, a in hold.posting.lines if acc == Account.HELD.value), 0) if hold else 0
        if hold is not None and hold.released_at is None and amount * held_sign < 0:
            hold.released_at, hold.released_by_kind = posted_at, kind
