"""The findings inbox: stored findings in the caller's scope, filtered and paged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.auth.scoping import scoped
from recoup.bounds import day_after
from recoup.reconciliation.models import StoredFinding

DAY_ZONE = "Asia/Shanghai"  # days of the inbox filter are merchants' local days (SPEC default zone)


@dataclass(frozen=True)
class FindingFilter:
    kind: str | None = None
    merchant_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    min_minor: int | None = None  # on the absolute difference (or the charged amount when none)
    max_minor: int | None = None
    limit: int = 100
    offset: int = 0


def _scoped(principal: Principal) -> Select[Any]:
    return scoped(StoredFinding, principal)


def _filtered(query: Select[Any], wanted: FindingFilter) -> Select[Any]:
    if wanted.kind:
        query = query.where(StoredFinding.kind == wanted.kind.upper())
    if wanted.merchant_id:
        query = query.where(StoredFinding.merchant_id == wanted.merchant_id)
    zone = ZoneInfo(DAY_ZONE)
    moment = func.coalesce(StoredFinding.txn_time, StoredFinding.first_seen_at)
    if wanted.date_from:
        query = query.where(moment >= datetime.combine(wanted.date_from, time.min, zone))
    following = day_after(wanted.date_to) if wanted.date_to else None  # none after 9999-12-31: no end
    if following is not None:
        query = query.where(moment < datetime.combine(following, time.min, zone))
    size = func.abs(StoredFinding.difference_minor)
    if wanted.min_minor is not None:
        query = query.where(size >= wanted.min_minor)
    if wanted.max_minor is not None:
        query = query.where(size <= wanted.max_minor)
    return query


def list_findings(session: Session, principal: Principal, wanted: FindingFilter) -> tuple[int, list[StoredFinding]]:
    query = _filtered(_scoped(principal), wanted)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    page = query.order_by(StoredFinding.kind, StoredFinding.rrn, StoredFinding.order_no, StoredFinding.id)
    rows = session.execute(page.limit(max(1, min(wanted.limit, 1000))).offset(max(0, wanted.offset))).scalars()
    return int(total), list(rows)


def kind_counts(session: Session, principal: Principal) -> dict[str, int]:
    query = _scoped(principal).subquery()
    rows = session.execute(select(query.c.kind, func.count()).group_by(query.c.kind))
    return {str(kind): int(count) for kind, count in rows}
