"""Saving a reconciliation run: store its findings and open or join a case for each one.

`save_findings` takes any objects shaped like `FindingLike` (the engine's findings, adapted), so
this module does not depend on how the engine computes them. Saving the same findings again
changes nothing but their last-seen run: a finding is stored once and belongs to one case.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.audit.service import record
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.cases.opening import open_or_join
from recoup.db import utcnow
from recoup.merchants.models import Merchant
from recoup.merchants.repository import list_merchants
from recoup.reconciliation.models import ReconciliationRun, StoredFinding
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

    def summary(self) -> str:
        text = (f"run {self.run_id}: {self.findings} findings ({self.new_findings} new), "
                f"{self.cases_opened} cases opened, {self.cases_joined} joined to existing cases")
        if self.skipped:
            text += (f"; {self.skipped} skipped: merchants not registered in your scope "
                     f"({', '.join(sorted(self.skipped_merchants)[:5])})")
        return text


def save_findings(session: Session, principal: Principal, findings: Iterable[FindingLike],
                  now: datetime | None = None) -> SaveReport:
    """Store the findings of one run for the caller's tenant and open or join their cases.

    Findings of merchants outside the caller's scope are skipped (and counted), never stored.
    """
    principal.require(Permission.RECONCILE)
    moment = now or utcnow()
    run = ReconciliationRun(tenant_id=principal.tenant_id, run_by=principal.username, saved_at=moment)
    session.add(run)
    session.flush()
    report = SaveReport(run.id)
    merchants = {m.merchant_id: m for m in list_merchants(session, principal)}
    batch = list(findings)
    known = _known_findings(session, principal.tenant_id, [f.finding_id for f in batch])
    actor = principal.actor()
    for finding in batch:
        report.findings += 1
        merchant = merchants.get(finding.merchant_id)
        if merchant is None:
            report.skipped += 1
            report.skipped_merchants.add(finding.merchant_id)
            continue
        stored = known.get(finding.finding_id)
        if stored is not None:
            stored.last_run_id = run.id
            continue
        stored = _store(session, principal.tenant_id, run.id, finding, moment)
        known[stored.finding_id] = stored
        report.new_findings += 1
        case, opened = open_or_join(session, actor, stored, _local_day(session, stored, merchant), moment)
        report.cases_opened += opened
        report.cases_joined += not opened
        report.cases.append(case.number)
    run.finding_count, run.new_findings, run.skipped = report.findings, report.new_findings, report.skipped
    run.cases_opened, run.cases_joined = report.cases_opened, report.cases_joined
    record(session, actor, "reconciliation.save", "reconciliation_run", str(run.id), at=moment,
           after={"findings": report.findings, "new": report.new_findings, "opened": report.cases_opened,
                  "joined": report.cases_joined, "skipped": report.skipped})
    return report


def _known_findings(session: Session, tenant_id: int, finding_ids: list[str]) -> dict[str, StoredFinding]:
    known: dict[str, StoredFinding] = {}
    unique = sorted(set(finding_ids))
    for start in range(0, len(unique), CHUNK):
        rows = session.execute(select(StoredFinding).where(
            StoredFinding.tenant_id == tenant_id, StoredFinding.finding_id.in_(unique[start:start + CHUNK])))
        known.update((row.finding_id, row) for row in rows.scalars())
    return known


def _store(session: Session, tenant_id: int, run_id: int, finding: FindingLike, now: datetime) -> StoredFinding:
    stored = StoredFinding(
        tenant_id=tenant_id, finding_id=finding.finding_id, run_id=run_id, last_run_id=run_id,
        kind=str(finding.kind), cause=str(finding.cause) if finding.cause else None,
        merchant_id=finding.merchant_id, terminal_id=finding.terminal_id or "", rrn=finding.rrn or "",
        related_rrn=finding.related_rrn or "", order_no=finding.order_no or "",
        charged_minor=finding.charged_minor, expected_minor=finding.expected_minor,
        difference_minor=finding.difference_minor, currency=finding.currency,
        confidence=float(finding.confidence), reason_codes=list(finding.reason_codes),
        explanation=finding.explanation, first_seen_at=now,
    )
    stored.txn_time = _txn_time(session, stored) or _event_time(finding)
    session.add(stored)
    session.flush()
    return stored


def _event_time(finding: FindingLike) -> datetime | None:
    """The engine's own time of the transaction, when its findings carry one."""
    value = getattr(finding, "event_time", None)
    return value if isinstance(value, datetime) and value.tzinfo is not None else None


def _txn_time(session: Session, finding: StoredFinding) -> datetime | None:
    """When the finding's transaction happened, from the stored journal or settlement line."""
    if not finding.rrn:
        return None
    for model in (JournalLine, SettlementLine):
        query = select(model.txn_time).where(model.tenant_id == finding.tenant_id,
                                             model.merchant_id == finding.merchant_id, model.rrn == finding.rrn)
        if finding.terminal_id:
            query = query.where(model.terminal_id == finding.terminal_id)
        found = session.execute(query.limit(1)).scalar_one_or_none()
        if found is not None:
            return found
    return None


def _local_day(session: Session, finding: StoredFinding, merchant: Merchant) -> date | None:
    """The merchant-local day of the finding's transaction (MCC cases group by terminal and day)."""
    if finding.kind == "MCC_MISMATCH" and finding.rrn:
        settled = session.execute(select(SettlementLine.local_date).where(
            SettlementLine.tenant_id == finding.tenant_id, SettlementLine.terminal_id == finding.terminal_id,
            SettlementLine.rrn == finding.rrn).limit(1)).scalar_one_or_none()
        if settled is not None:
            return settled
    if finding.txn_time is None:
        return None
    return finding.txn_time.astimezone(ZoneInfo(merchant.timezone or "Asia/Shanghai")).date()
