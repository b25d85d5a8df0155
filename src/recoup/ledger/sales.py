"""Part of `recoup ledger verify`: no sale gives back more than it took (SPEC section 6).

For every sale with recovery actions, the refunds, voids and reversals that count (pending,
awaiting funds, instructed or confirmed; not failed) must add up to at most the sale, whichever
cases, requests or processes recorded them. The sale's amount is read as the planner reads it
(`recoup.recovery.plans.resolve_sale`): its settlement line, else its journal line, else the
finding of a case acting on it. Refunds made outside Recoup (seen only in the journal) are not
Recoup's to answer for and are left out. A sale none of these shows is skipped and counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.ledger.rules import LedgerIntegrityError
from recoup.ledger.settlement import SALE_TYPES
from recoup.money import Money
from recoup.reconciliation.models import StoredFinding
from recoup.recovery.limits import ActionKind, ActionStatus, PriorAction, overdrawn
from recoup.recovery.models import RecoveryAction, RecoveryStatus
from recoup.transactions.models import JournalLine, SettlementLine

CARD_SIDE_KINDS = tuple(kind.value for kind in ActionKind)


@dataclass(frozen=True)
class SalesReport:
    checked: int  # sales whose counting actions stay within them
    unknown: int  # sales with actions that no settlement, journal or finding shows (not checked)


def verify_sale_limits(session: Session, tenant_id: int | None = None) -> SalesReport:
    """Raise LedgerIntegrityError naming the first sale whose counting refunds and voids exceed it."""
    query = select(RecoveryAction).where(
        RecoveryAction.kind.in_(CARD_SIDE_KINDS), RecoveryAction.status != RecoveryStatus.FAILED.value,
        RecoveryAction.sale_rrn != "",
    ).order_by(RecoveryAction.tenant_id, RecoveryAction.merchant_id, RecoveryAction.sale_rrn, RecoveryAction.id)
    if tenant_id is not None:
        query = query.where(RecoveryAction.tenant_id == tenant_id)
    checked = unknown = 0
    actions = session.execute(query).scalars()
    for (tenant, merchant, rrn), group in groupby(actions, key=lambda a: (a.tenant_id, a.merchant_id, a.sale_rrn)):
        recorded = list(group)
        sale = _sale_amount(session, tenant, merchant, rrn, {a.case_id for a in recorded})
        if sale is None:
            unknown += 1
            continue
        _check_sale(sale, tenant, merchant, rrn, recorded)
        checked += 1
    return SalesReport(checked, unknown)


def _check_sale(sale: Money, tenant_id: int, merchant_id: str, rrn: str, recorded: Sequence[RecoveryAction]) -> None:
    where = f"sale {rrn} of merchant {merchant_id} (tenant {tenant_id})"
    ids = ", ".join(str(action.id) for action in recorded)
    other = sorted({a.currency for a in recorded} - {sale.currency})
    if other:
        raise LedgerIntegrityError(f"{where} is in {sale.currency}, but actions {ids} give back {', '.join(other)}",
                                   detail=_detail(tenant_id, merchant_id, rrn, recorded))
    excess = overdrawn(sale, _priors(recorded))
    if excess.minor > 0:
        given = sale + excess
        raise LedgerIntegrityError(
            f"{where}: its refunds, voids and reversals add up to {given} (pending, instructed or confirmed: "
            f"actions {ids}), {excess} more than the sale of {sale}",
            detail={**_detail(tenant_id, merchant_id, rrn, recorded), "sale_minor": sale.minor,
                    "given_back_minor": given.minor},
        )


def _priors(recorded: Iterable[RecoveryAction]) -> list[PriorAction]:
    return [PriorAction(ActionKind(a.kind), ActionStatus.CONFIRMED if a.status == RecoveryStatus.CONFIRMED.value
                        else ActionStatus.PENDING, Money(a.amount_minor, a.currency)) for a in recorded]


def _detail(tenant_id: int, merchant_id: str, rrn: str, recorded: Sequence[RecoveryAction]) -> dict[str, object]:
    return {"tenant_id": tenant_id, "merchant_id": merchant_id, "sale_rrn": rrn,
            "action_ids": [action.id for action in recorded]}


def _sale_amount(session: Session, tenant_id: int, merchant_id: str, rrn: str, case_ids: set[int]) -> Money | None:
    for table in (SettlementLine, JournalLine):
        line = session.execute(select(table.amount_minor, table.currency).where(
            table.tenant_id == tenant_id, table.merchant_id == merchant_id, table.rrn == rrn,
            table.txn_type.in_(SALE_TYPES)).order_by(table.id).limit(1)).first()
        if line is not None:
            return Money(line.amount_minor, line.currency)
    finding = session.execute(select(StoredFinding.charged_minor, StoredFinding.currency).where(
        StoredFinding.case_id.in_(sorted(case_ids)), StoredFinding.rrn == rrn, StoredFinding.charged_minor != 0,
    ).order_by(StoredFinding.id).limit(1)).first()
    return Money(abs(finding.charged_minor), finding.currency) if finding is not None else None
