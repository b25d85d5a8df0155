"""Saving a reconciliation run: store its findings and open or join a case for each one.

`save_findings` takes any objects shaped like `FindingLike` (the engine's findings, adapted), so
this module does not depend on how the engine computes them. Saving the same findings again
changes nothing but their last-seen run: a finding is stored once and belongs to one case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal, select, update
from sqlalchemy.orm import Session

from recoup.audit.service import record
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.cases.bulk_opening import insert_plain, open_or_join_all
from recoup.cases.follow_rules import Outcome
from recoup.cases.following import FollowReport, RunContext, follow_cases
from recoup.db import utcnow
from recoup.merchants.models import Merchant
from recoup.merchants.repository import list_merchants
from recoup.reconciliation.models import ReconciliationRun, RunFollowSummary, StoredFinding
from recoup.transactions.models import JournalLine, SettlementLine

CHUNK = 500


class FindingLike(Protocol):
    """What a stored finding needs from the engine (amounts in minor units, signed difference)."""

    @property
    def finding_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def cause(self) -> str | None: ...
    @property
    def merchant_id(self) -> str: ...
    @property
    def terminal_id(self) -> str | None: ...
    @property
    def rrn(self) -> str | None: ...
    @property
    def related_rrn(self) -> str | None: ...
    @property
    def order_no(self) -> str | None: ...
    @property
    def charged_minor(self) -> int: ...
    @property
    def expected_minor(self) -> int: ...
    @property
    def difference_minor(self) -> int: ...
    @property
    def currency(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def reason_codes(self) -> Sequence[str]: ...
    @property
    def explanation(self) -> str: ...


@dataclass
class SaveReport:
    run_id: int
    findings: int = 0
    new_findings: int = 0
    cases_opened: int = 0
    cases_joined: int = 0
    skipped: int = 0
    skipped_merchants: set[str] = field(default_factory=set)
    cases: list[str] = field(default_factory=list)
    follow: FollowReport = field(default_factory=FollowReport)

    def summary(self) -> str:
        text = (f"run {self.run_id}: {self.findings} findings ({self.new_findings} new), "
                f"{self.cases_opened} cases opened, {self.cases_joined} joined to existing cases")
        f = self.follow
        text += (f"; cases {f.total(Outcome.UPDATED)} updated, {f.total(Outcome.RESOLVED)} resolved by later "
                 f"files, {f.total(Outcome.LEFT)} left for a person (alerted), {f.total(Outcome.REOPENED)} "
                 f"reopened, {f.total(Outcome.NOT_JUDGED)} not judged (settlement not imported yet)")
        if self.skipped:
            text += (f"; {self.skipped} skipped: merchants not registered in your scope "
                     f"({', '.join(sorted(self.skipped_merchants)[:5])})")
        return text


InScope = Callable[[StoredFinding], bool]


@dataclass(frozen=True)
class ReadScope:
    """What a run over the stored data read: local days (None: unbounded) and merchants (None: every
    merchant the runner sees). Kept on the run: the imports list tells from it what was reconciled."""

    date_from: date | None
    date_to: date | None
    merchant_ids: tuple[str, ...] | None


def save_findings(session: Session, principal: Principal, findings: Iterable[FindingLike],
                  now: datetime | None = None, in_scope: InScope | None = None,
                  read: ReadScope | None = None) -> SaveReport:
    """Store the findings of one run for the caller's tenant and open or join their cases.

    With `in_scope` (a run over the stored data, `recoup reconcile --db --save`), the cases of earlier
    findings in that scope follow what this run no longer reports, reports changed, or reports again
    (`recoup.cases.following`), in this same transaction.

    Findings of merchants outside the caller's scope are skipped (and counted), never stored. The
    work is set-based: a few statements per thousand findings, plus one audit entry per case change.
    """
    principal.require(Permission.RECONCILE)
    moment = now or utcnow()
    run = ReconciliationRun(tenant_id=principal.tenant_id, run_by=principal.username, saved_at=moment)
    if read is not None:
        run.over_stored, run.read_from, run.read_to = True, read.date_from, read.date_to
        run.read_merchants = list(read.merchant_ids) if read.merchant_ids is not None else None
    session.add(run)
    session.flush()
    report = SaveReport(run.id)
    merchants = {m.merchant_id: m for m in list_merchants(session, principal)}
    batch = list(findings)
    fresh = _triage(session, run, batch, merchants, report)
    stored = [finding for finding, _ in fresh.values()]
    _fill_txn_times(session, principal.tenant_id, stored)
    days = _mcc_days(session, principal.tenant_id, stored)
    items = [(finding, _local_day(finding, merchant, days)) for finding, merchant in fresh.values()]
    outcomes = open_or_join_all(session, principal.actor(), principal.tenant_id, items, moment)
    insert_plain(session, stored)
    for case, opened in outcomes:
        report.new_findings += 1
        report.cases_opened += opened
        report.cases_joined += not opened
        report.cases.append(case.number)
        if opened:
            report.follow.add(Outcome.OPENED, case.kind)
    if in_scope is not None:  # a run over the stored data: what it no longer reports no longer holds
        _follow(RunContext(session, principal.actor(), principal.tenant_id, run.id, moment,
                           {m.merchant_id: m.timezone or "" for m in merchants.values()}),
                batch, merchants, in_scope, report)
    _close_run(session, principal, run, report, moment)
    return report


def _close_run(session: Session, principal: Principal, run: ReconciliationRun, report: SaveReport,
               moment: datetime) -> None:
    """The run's counts, what it did to the cases by kind, and its audit entry."""
    session.add(RunFollowSummary(tenant_id=principal.tenant_id, run_id=run.id, counts=report.follow.as_dict()))
    run.finding_count, run.new_findings, run.skipped = report.findings, report.new_findings, report.skipped
    run.cases_opened, run.cases_joined = report.cases_opened, report.cases_joined
    record(session, principal.actor(), "reconciliation.save", "reconciliation_run", str(run.id), at=moment,
           after={"findings": report.findings, "new": report.new_findings, "opened": report.cases_opened,
                  "joined": report.cases_joined, "skipped": report.skipped, "cases": report.follow.as_dict()})


def _follow(context: RunContext, batch: list[FindingLike], merchants: dict[str, Merchant], in_scope: InScope,
            report: SaveReport) -> None:
    follow_cases(context, {finding.finding_id: finding for finding in batch},
                 lambda finding: finding.merchant_id in merchants and in_scope(finding), report.follow)


def _triage(session: Session, run: ReconciliationRun, batch: list[FindingLike], merchants: dict[str, Merchant],
            report: SaveReport) -> dict[str, tuple[StoredFinding, Merchant]]:
    """Skip (and count) findings outside the caller's scope, mark those seen before with this run,
    and return the new ones, once each, as rows to store."""
    known = _known_findings(session, run.tenant_id, [f.finding_id for f in batch])
    fresh: dict[str, tuple[StoredFinding, Merchant]] = {}
    seen_again: set[int] = set()
    for finding in batch:
        report.findings += 1
        merchant = merchants.get(finding.merchant_id)
        if merchant is None:
            report.skipped += 1
            report.skipped_merchants.add(finding.merchant_id)
        elif finding.finding_id in known:
            seen_again.add(known[finding.finding_id])
        elif finding.finding_id not in fresh:
            fresh[finding.finding_id] = (_new(run.tenant_id, run.id, finding, run.saved_at), merchant)
    _mark_seen(session, run.id, sorted(seen_again))
    return fresh


def _known_findings(session: Session, tenant_id: int, finding_ids: list[str]) -> dict[str, int]:
    """The stored row id of each finding already saved by an earlier run."""
    known: dict[str, int] = {}
    unique = sorted(set(finding_ids))
    for start in range(0, len(unique), CHUNK):
        rows = session.execute(select(StoredFinding.finding_id, StoredFinding.id).where(
            StoredFinding.tenant_id == tenant_id, StoredFinding.finding_id.in_(unique[start:start + CHUNK])))
        known.update((finding_id, stored_id) for finding_id, stored_id in rows)
    return known


def _mark_seen(session: Session, run_id: int, stored_ids: list[int]) -> None:
    """Findings seen again: their last-seen run, and their cashier if none was known."""
    for start in range(0, len(stored_ids), CHUNK):
        session.execute(update(StoredFinding).where(StoredFinding.id.in_(stored_ids[start:start + CHUNK]))
                        .values(last_run_id=run_id).execution_options(synchronize_session=False))
        session.execute(update(StoredFinding)  # a journal line imported since names its cashier
                        .where(StoredFinding.id.in_(stored_ids[start:start + CHUNK]),
                               StoredFinding.cashier_id.is_(None), StoredFinding.rrn != "")
                        .values(cashier_id=cashier_of_finding()).execution_options(synchronize_session=False))


def _new(tenant_id: int, run_id: int, finding: FindingLike, now: datetime) -> StoredFinding:
    return StoredFinding(
        tenant_id=tenant_id, finding_id=finding.finding_id, run_id=run_id, last_run_id=run_id,
        kind=str(finding.kind), cause=str(finding.cause) if finding.cause else None,
        merchant_id=finding.merchant_id, terminal_id=finding.terminal_id or "", rrn=finding.rrn or "",
        related_rrn=finding.related_rrn or "", order_no=finding.order_no or "",
        charged_minor=finding.charged_minor, expected_minor=finding.expected_minor,
        difference_minor=finding.difference_minor, currency=finding.currency,
        confidence=float(finding.confidence), reason_codes=list(finding.reason_codes),
        explanation=finding.explanation, first_seen_at=now, txn_time=_event_time(finding),
    )


def _event_time(finding: FindingLike) -> datetime | None:
    """The engine's own time of the transaction, when its findings carry one."""
    value = getattr(finding, "event_time", None)
    return value if isinstance(value, datetime) and value.tzinfo is not None else None


def _fill_txn_times(session: Session, tenant_id: int, findings: list[StoredFinding]) -> None:
    """When each finding's transaction happened, from its stored journal line, else its settlement
    line (same merchant and RRN, and terminal when the finding names one); else the engine's time. And
    the cashier of its journal line (same merchant, terminal and RRN; the smallest if several name one)."""
    wanted = sorted({finding.rrn for finding in findings if finding.rrn})
    found: dict[tuple[str, str, str], datetime] = {}
    cashiers: dict[tuple[str, str, str], str] = {}
    for model in (SettlementLine, JournalLine):  # the journal's time wins: it is read last
        cashier = JournalLine.cashier_id if model is JournalLine else literal("")
        for start in range(0, len(wanted), CHUNK):
            rows = session.execute(select(model.merchant_id, model.terminal_id, model.rrn, model.txn_time, cashier)
                                   .where(model.tenant_id == tenant_id, model.rrn.in_(wanted[start:start + CHUNK]))
                                   .order_by(model.id.desc()))  # the first line of each key is read last and wins
            for merchant_id, terminal_id, rrn, moment, who in rows:
                found[(merchant_id, terminal_id, rrn)] = found[(merchant_id, "", rrn)] = moment
                key = (merchant_id, terminal_id, rrn)
                if who and (key not in cashiers or who < cashiers[key]):
                    cashiers[key] = who
    for finding in findings:
        if finding.rrn:
            finding.txn_time = found.get((finding.merchant_id, finding.terminal_id, finding.rrn), finding.txn_time)
            finding.cashier_id = cashiers.get((finding.merchant_id, finding.terminal_id, finding.rrn))


def cashier_of_finding() -> Any:
    """The cashier a finding's journal line names, as a correlated SQL value (None when none does)."""
    line = JournalLine.__table__.alias("cashier_line")
    return (select(func.min(line.c.cashier_id))
            .where(line.c.tenant_id == StoredFinding.tenant_id, line.c.rrn == StoredFinding.rrn,
                   line.c.terminal_id == StoredFinding.terminal_id, line.c.merchant_id == StoredFinding.merchant_id,
                   line.c.cashier_id != "")
            .correlate(StoredFinding).scalar_subquery())


def _mcc_days(session: Session, tenant_id: int, findings: list[StoredFinding]) -> dict[tuple[str, str], date]:
    """The settlement's local day of each MCC_MISMATCH line, by terminal and RRN."""
    wanted = sorted({finding.rrn for finding in findings if finding.kind == "MCC_MISMATCH" and finding.rrn})
    days: dict[tuple[str, str], date] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = session.execute(select(SettlementLine.terminal_id, SettlementLine.rrn, SettlementLine.local_date)
                               .where(SettlementLine.tenant_id == tenant_id,
                                      SettlementLine.rrn.in_(wanted[start:start + CHUNK]))
                               .order_by(SettlementLine.id.desc()))
        days.update(((terminal_id, rrn), day) for terminal_id, rrn, day in rows)
    return days


def _local_day(finding: StoredFinding, merchant: Merchant, mcc_days: dict[tuple[str, str], date]) -> date | None:
    """The merchant-local day of the finding's transaction (MCC cases group by terminal and day)."""
    settled = mcc_days.get((finding.terminal_id, finding.rrn)) if finding.kind == "MCC_MISMATCH" else None
    if settled is not None:
        return settled
    if finding.txn_time is None:
        return None
    return finding.txn_time.astimezone(ZoneInfo(merchant.timezone or "Asia/Shanghai")).date()
