"""What the prevention lists rest on, in SQL (recoup.reports.prevention_rules decides who is on a list).

Counts are grouped in the database; where a rule needs single transactions (a refund to another card, a
void right after a sale) only the flagged rows come back, never the period's journal. Always within the
report's scope (tenant, merchants, currency) and period (journal lines by their merchant-local day,
findings by the moment of their transaction, as recoup.reports.repository counts them).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from recoup.cases.models import Case
from recoup.merchants.models import Terminal
from recoup.reconciliation.models import StoredFinding
from recoup.reports import rollup
from recoup.reports.models import PreventionAcknowledgement
from recoup.reports.prevention_rules import KEYING_CAUSES, Flag, TerminalFacts
from recoup.reports.repository import FINDING_MOMENT, Scope
from recoup.reports.rules import Period
from recoup.transactions.models import JournalLine

F, J = StoredFinding, JournalLine
APPROVED = "APPROVED"


def _findings(scope: Scope, period: Period) -> list[Any]:
    return [*scope.where(F), FINDING_MOMENT >= period.start, FINDING_MOMENT < period.end]


def _journal(line: Any, scope: Scope, period: Period) -> list[Any]:
    conditions = [line.tenant_id == scope.tenant_id, line.currency == scope.currency,
                  line.local_date >= period.first, line.local_date <= period.last]
    if scope.merchant_ids is not None:
        conditions.append(line.merchant_id.in_(list(scope.merchant_ids)))
    return conditions


def terminal_facts(session: Session, scope: Scope, period: Period) -> list[TerminalFacts]:
    """Every terminal in scope with its maintenance dates and the period's transactions and findings."""
    sums = rollup.terminal_sums(session, scope, period)
    txns = (select(sums.c.terminal_id.label("terminal_id"), func.sum(sums.c.lines).label("n"))
            .group_by(sums.c.terminal_id).subquery())
    found = (select(F.terminal_id.label("terminal_id"), func.count().label("n"))
             .where(*_findings(scope, period), F.terminal_id != "").group_by(F.terminal_id).subquery())
    query = (select(Terminal, func.coalesce(txns.c.n, 0), func.coalesce(found.c.n, 0))
             .outerjoin(txns, txns.c.terminal_id == Terminal.terminal_id)
             .outerjoin(found, found.c.terminal_id == Terminal.terminal_id)
             .where(Terminal.tenant_id == scope.tenant_id).order_by(Terminal.terminal_id))
    if scope.merchant_ids is not None:
        query = query.where(Terminal.merchant_id.in_(list(scope.merchant_ids)))
    return [TerminalFacts(t.terminal_id, t.merchant_id, t.model or "", t.firmware or "", t.last_maintenance_at,
                          t.installed_at, bool(t.stopped), int(n_txns), int(n_found))
            for t, n_txns, n_found in session.execute(query)]


def _cashier_of_finding() -> Any:
    line = aliased(J, name="cashier_line")
    return (select(func.min(line.cashier_id))
            .where(line.tenant_id == F.tenant_id, line.rrn == F.rrn, line.terminal_id == F.terminal_id,
                   line.merchant_id == F.merchant_id, line.cashier_id != "")
            .correlate(F).scalar_subquery())


def keying_errors(session: Session, scope: Scope, period: Period) -> list[Flag]:
    """Findings caused by keying (per cashier of the transaction), named by their case number or RRN."""
    cashier = _cashier_of_finding().label("cashier")
    query = (select(F.merchant_id, cashier, func.coalesce(Case.number, F.rrn))
             .outerjoin(Case, Case.id == F.case_id)
             .where(*_findings(scope, period), F.cause.in_(KEYING_CAUSES), F.rrn != ""))
    return [Flag(str(merchant), str(who), str(name)) for merchant, who, name in session.execute(query)
            if who is not None]


def mcc_mismatches(session: Session, scope: Scope, period: Period) -> list[Flag]:
    query = select(F.merchant_id, F.rrn).where(*_findings(scope, period), F.kind == "MCC_MISMATCH")
    return [Flag(str(merchant), str(merchant), str(rrn)) for merchant, rrn in session.execute(query)]


def _refunds_with_sales(scope: Scope, period: Period) -> tuple[Any, Any, list[Any]]:
    refund, sale = aliased(J, name="refund"), aliased(J, name="sale")
    joined = [*_journal(refund, scope, period), refund.txn_type == "REFUND", refund.status == APPROVED,
              refund.orig_rrn != "", sale.tenant_id == refund.tenant_id, sale.merchant_id == refund.merchant_id,
              sale.rrn == refund.orig_rrn, sale.txn_type == "SALE"]
    return refund, sale, joined


def refunds_to_other_cards(session: Session, scope: Scope, period: Period) -> list[Flag]:
    """Refunds whose card differs from the sale's: by token when both have one, else by the last four digits."""
    refund, sale, joined = _refunds_with_sales(scope, period)
    differs = or_(and_(refund.card_token.is_not(None), sale.card_token.is_not(None),
                       refund.card_token != sale.card_token),
                  and_(or_(refund.card_token.is_(None), sale.card_token.is_(None)), refund.card_last4 != "",
                       sale.card_last4 != "", refund.card_last4 != sale.card_last4))
    query = select(refund.merchant_id, refund.terminal_id, refund.rrn).where(*joined, differs).distinct()
    return [Flag(str(merchant), str(terminal), str(rrn)) for merchant, terminal, rrn in session.execute(query)]


def refunds(session: Session, scope: Scope, period: Period, min_refunds: int) -> list[Flag]:
    """Approved refunds of terminals that made at least `min_refunds` in the period, with their moments."""
    sums = rollup.terminal_sums(session, scope, period)
    busy = select(sums.c.terminal_id).group_by(sums.c.terminal_id).having(func.sum(sums.c.refunds) >= min_refunds)
    query = select(J.merchant_id, J.terminal_id, J.rrn, J.txn_time).where(
        *_journal(J, scope, period), J.txn_type == "REFUND", J.status == APPROVED, J.terminal_id.in_(busy))
    return [Flag(str(merchant), str(terminal), str(rrn), moment)
            for merchant, terminal, rrn, moment in session.execute(query)]


def large_refunds(session: Session, scope: Scope, period: Period, factor: float, min_sales: int) -> list[Flag]:
    """Approved refunds above `factor` times their merchant's average approved sale of the period (merchants
    with at least `min_sales` sales). Two scans: the averages per merchant, then only the refunds above the
    smallest threshold, each checked against its merchant's."""
    sums = rollup.terminal_sums(session, scope, period)  # the averages from the daily rollups
    averages = {str(merchant): int(total) / int(count) for merchant, total, count in session.execute(
        select(sums.c.merchant_id, func.sum(sums.c.sales_minor), func.sum(sums.c.sales))
        .group_by(sums.c.merchant_id).having(func.sum(sums.c.sales) >= min_sales))}
    if not averages:
        return []
    query = select(J.merchant_id, J.terminal_id, J.rrn, J.amount_minor).where(
        *_journal(J, scope, period), J.txn_type == "REFUND", J.status == APPROVED,
        J.amount_minor > int(factor * min(averages.values())))
    return [Flag(str(merchant), str(terminal), str(rrn)) for merchant, terminal, rrn, amount in session.execute(query)
            if str(merchant) in averages and amount > factor * averages[str(merchant)]]


def sales_in_band(session: Session, scope: Scope, period: Period, low: int, high: int, minimum: int) -> list[Flag]:
    """Approved sales of [low, high] minor units by cards that made at least `minimum` of them at a merchant
    (one scan: the sales in the band are few); the subject is the masked card (never a full number)."""
    query = select(J.merchant_id, func.coalesce(J.card_token, J.card_masked), J.card_masked, J.rrn).where(
        *_journal(J, scope, period), J.txn_type == "SALE", J.status == APPROVED, J.amount_minor >= low,
        J.amount_minor <= high, J.card_masked != "")
    rows = [(str(merchant), str(card), str(masked), str(rrn)) for merchant, card, masked, rrn in session.execute(query)]
    counts: dict[tuple[str, str], int] = {}
    for merchant, card, _masked, _rrn in rows:
        counts[(merchant, card)] = counts.get((merchant, card), 0) + 1
    return [Flag(merchant, masked, rrn) for merchant, card, masked, rrn in rows if counts[(merchant, card)] >= minimum]


def voids_of_own_sales(session: Session, scope: Scope, period: Period) -> list[tuple[Flag, Any]]:
    """Approved voids whose sale was made by the same cashier: (the void as a flag, the sale's moment)."""
    void, sale = aliased(J, name="void"), aliased(J, name="sale")
    query = select(void.merchant_id, void.cashier_id, void.rrn, void.txn_time, sale.txn_time).where(
        *_journal(void, scope, period), void.txn_type == "VOID", void.status == APPROVED, void.orig_rrn != "",
        void.cashier_id != "", sale.tenant_id == void.tenant_id, sale.merchant_id == void.merchant_id,
        sale.rrn == void.orig_rrn, sale.txn_type == "SALE", sale.cashier_id == void.cashier_id)
    return [(Flag(str(merchant), str(cashier), str(rrn), voided), sold)
            for merchant, cashier, rrn, voided, sold in session.execute(query)]


def acknowledgements(session: Session, tenant_id: int, keys: list[str]) -> dict[str, PreventionAcknowledgement]:
    """The latest acknowledgement of each of `keys`, by key (table prevention_acknowledgements)."""
    if not keys:
        return {}
    query = (select(PreventionAcknowledgement)
             .where(PreventionAcknowledgement.tenant_id == tenant_id, PreventionAcknowledgement.entry_key.in_(keys))
             .order_by(PreventionAcknowledgement.acknowledged_at, PreventionAcknowledgement.id))
    return {ack.entry_key: ack for ack in session.execute(query).scalars()}
