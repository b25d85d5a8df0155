"""What the prevention lists rest on, in SQL (recoup.reports.prevention_rules decides who is on a list).

Counts are grouped in the database; where a rule needs single transactions (a refund to another card, a
void right after a sale) only the flagged rows come back, never the period's journal: the journal's counts
come from the rollups (recoup.reports.rollup), the fraud-like patterns from the flagged lines
(recoup.reports.flagged), both exact up to the last line. Always within the
report's scope (tenant, merchants, currency) and period (journal lines by their merchant-local day,
findings by the moment of their transaction, as recoup.reports.repository counts them).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, select, true
from sqlalchemy.orm import Session

from recoup.cases.models import Case
from recoup.merchants.models import Terminal
from recoup.reconciliation.models import StoredFinding
from recoup.reports import flagged, rollup
from recoup.reports.models import PreventionAcknowledgement
from recoup.reports.prevention_rules import EXAMPLES, KEYING_CAUSES, Flag, Group, TerminalFacts
from recoup.reports.repository import FINDING_MOMENT, Scope
from recoup.reports.rules import Period
from recoup.transactions.models import JournalLine

F, J = StoredFinding, JournalLine


def _findings(scope: Scope, period: Period) -> list[Any]:
    return [*scope.where(F), FINDING_MOMENT >= period.start, FINDING_MOMENT < period.end]


Totals = list[tuple[str, str, int, int, int]]


def terminal_totals(session: Session, scope: Scope, period: Period) -> Totals:
    """(merchant, terminal, lines, approved sales, their amount) of the period, per merchant and terminal: read
    once from the rollups for the lists that need them (terminal_facts, large_refunds)."""
    sums = rollup.terminal_sums(session, scope, period)
    return [(str(merchant), str(terminal), int(lines), int(sales), int(sales_minor))
            for merchant, terminal, lines, sales, sales_minor in session.execute(
                select(sums.c.merchant_id, sums.c.terminal_id, sums.c.lines, sums.c.sales, sums.c.sales_minor))]


def terminal_facts(session: Session, scope: Scope, period: Period, totals: Totals | None = None) -> list[TerminalFacts]:
    """Every terminal in scope with its maintenance dates and the period's transactions and findings (three
    grouped reads joined here: joined in SQL, PostgreSQL re-ran the rollup's sum once per terminal)."""
    txns: dict[str, int] = {}
    for _merchant, terminal, lines, _sales, _sales_minor in totals or terminal_totals(session, scope, period):
        txns[terminal] = txns.get(terminal, 0) + lines
    found = {str(terminal): int(n) for terminal, n in session.execute(
        select(F.terminal_id, func.count()).where(*_findings(scope, period), F.terminal_id != "")
        .group_by(F.terminal_id))}
    query = (select(Terminal.terminal_id, Terminal.merchant_id, Terminal.model, Terminal.firmware,
                    Terminal.last_maintenance_at, Terminal.installed_at, Terminal.stopped)
             .where(Terminal.tenant_id == scope.tenant_id).order_by(Terminal.terminal_id))
    if scope.merchant_ids is not None:
        query = query.where(Terminal.merchant_id.in_(list(scope.merchant_ids)))
    return [TerminalFacts(str(terminal), str(merchant), model or "", firmware or "", maintained, installed,
                          bool(stopped), txns.get(str(terminal), 0), found.get(str(terminal), 0))
            for terminal, merchant, model, firmware, maintained, installed, stopped in session.execute(query)]


def keying_errors(session: Session, scope: Scope, period: Period, minimum: int) -> list[Group]:
    """Cashiers with at least `minimum` findings caused by keying (the cashier kept on each finding), with
    their latest cases (case number, else RRN) as examples."""
    return _counted(session, F.cashier_id, [*_findings(scope, period), F.cause.in_(KEYING_CAUSES),
                                            F.cashier_id.is_not(None)], minimum)


def mcc_mismatches(session: Session, scope: Scope, period: Period, minimum: int) -> list[Group]:
    """Merchants with at least `minimum` MCC_MISMATCH findings, with their latest as examples."""
    merchant = F.merchant_id.concat("")  # no index order to group by: SQLite then seeks the kind's index
    return _counted(session, merchant, [*_findings(scope, period), F.kind == "MCC_MISMATCH"], minimum, merchant)


def _counted(session: Session, subject: Any, conditions: list[Any], minimum: int,
             merchant: Any = F.merchant_id) -> list[Group]:
    """Findings grouped by merchant and `subject` in the database (a year holds hundreds of thousands, read in
    index order): the groups of at least `minimum`, each with its count and its latest EXAMPLES findings
    (case number, else RRN), named in order. The examples are read group by group, newest first through the
    same index: a handful of rows each, never the whole year (PostgreSQL: one LATERAL join; SQLite, which
    has none: one statement compiled once, run per group in process)."""
    sizes = (select(merchant.label("merchant"), subject.label("subject"), func.count().label("size"))
             .where(*conditions).group_by(merchant, subject).having(func.count() >= minimum))
    latest = (select(func.coalesce(Case.number, F.rrn).label("name")).select_from(F)
              .outerjoin(Case, Case.id == F.case_id).where(*conditions)
              .order_by(F.txn_time.desc(), F.first_seen_at.desc()).limit(EXAMPLES))
    names: dict[tuple[str, str, int], list[str]] = {}
    if session.get_bind().dialect.name == "postgresql":
        group = sizes.subquery()
        examples = latest.where(F.merchant_id == group.c.merchant, subject == group.c.subject).lateral()
        for merchant_id, who, size, name in session.execute(
                select(group.c.merchant, group.c.subject, group.c.size, examples.c.name).join(examples, true())):
            names.setdefault((str(merchant_id), str(who), int(size)), []).append(str(name))
    else:
        one = latest.where(F.merchant_id == bindparam("of_merchant"), subject == bindparam("of_subject"))
        for merchant_id, who, size in session.execute(sizes).all():
            names[(str(merchant_id), str(who), int(size))] = [str(name) for name in session.execute(
                one, {"of_merchant": merchant_id, "of_subject": who}).scalars()]
    return [Group(merchant_id, who, size, tuple(sorted(examples_of)))
            for (merchant_id, who, size), examples_of in names.items()]


def refunds_to_other_cards(session: Session, scope: Scope, period: Period) -> list[Flag]:
    """Refunds whose card differs from the sale's: by token when both have one, else by the last four digits."""
    found = flagged.refunds_to_other_cards(session, scope, period, rollup.tail_mark(session))
    return [Flag(merchant, terminal, rrn) for merchant, terminal, rrn in sorted(found)]


def burst_refunds(session: Session, scope: Scope, period: Period) -> list[Flag]:
    """The period's approved refunds that can be part of a burst (recoup.reports.flagged: every refund of a
    burst is among them), with their moments."""
    return flagged.burst_refunds(session, scope, period, rollup.tail_mark(session))


def large_refunds(session: Session, scope: Scope, period: Period, factor: float, min_sales: int,
                  totals: Totals | None = None) -> list[Flag]:
    """Approved refunds above `factor` times their merchant's average approved sale of the period (merchants
    with at least `min_sales` sales): the averages from the rollups, then only the refunds above the smallest
    threshold (an index range over the flagged refunds), each checked against its merchant's."""
    sold: dict[str, tuple[int, int]] = {}
    for merchant, _terminal, _lines, sales, sales_minor in totals or terminal_totals(session, scope, period):
        count, total = sold.get(merchant, (0, 0))
        sold[merchant] = (count + sales, total + sales_minor)
    averages = {merchant: total / count for merchant, (count, total) in sold.items() if count >= min_sales}
    if not averages:
        return []
    above = flagged.refunds_above(session, scope, period, rollup.tail_mark(session),
                                  int(factor * min(averages.values())))
    return [Flag(merchant, terminal, rrn) for merchant, terminal, rrn, amount in above
            if merchant in averages and amount > factor * averages[merchant]]


def sales_in_band(session: Session, scope: Scope, period: Period, minimum: int) -> list[Flag]:
    """Approved sales just under the no-PIN limit (recoup.reports.prevention_rules.under_limit_band) by cards
    that made at least `minimum` of them at a merchant; the subject is the masked card (never a full number)."""
    return [Flag(merchant, masked, rrn) for merchant, _card, masked, rrn
            in flagged.sales_in_band(session, scope, period, rollup.tail_mark(session), minimum)]


def voids_of_own_sales(session: Session, scope: Scope, period: Period) -> list[tuple[Flag, Any]]:
    """Approved voids whose sale was made by the same cashier: (the void as a flag, the sale's moment)."""
    return flagged.voids_of_own_sales(session, scope, period, rollup.tail_mark(session))


def acknowledgements(session: Session, tenant_id: int, keys: list[str]) -> dict[str, PreventionAcknowledgement]:
    """The latest acknowledgement of each of `keys`, by key (table prevention_acknowledgements). A year's
    lists can hold tens of thousands of keys: the tenant's acknowledgements (a person wrote each) are read
    and matched here rather than sent as one parameter per key."""
    if not keys:
        return {}
    wanted = set(keys)
    query = (select(PreventionAcknowledgement)
             .where(PreventionAcknowledgement.tenant_id == tenant_id)
             .order_by(PreventionAcknowledgement.acknowledged_at, PreventionAcknowledgement.id))
    if len(wanted) <= 500:
        query = query.where(PreventionAcknowledgement.entry_key.in_(sorted(wanted)))
    return {ack.entry_key: ack for ack in session.execute(query).scalars() if ack.entry_key in wanted}
