"""The days (and merchants) an import brought, as a reconciliation run over the stored data reads them.

An import's rows carry its id (`import_id`), so its days are the merchant-local days of its orders,
journal and settlement lines in the caller's scope. A run reads one span of days: from the first
to the last day the import brought, for its one merchant (or every merchant of the caller's scope
when the file held several) — what `recoup reconcile --db --from --to [--merchant]` reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.errors import InvalidInput, NotFound
from recoup.merchants.repository import list_merchants
from recoup.reconciliation.db_source import DbScope
from recoup.transactions.models import ImportBatch, JournalLine, Order, SettlementLine

FACT_TABLES: tuple[Any, ...] = (Order, JournalLine, SettlementLine)
CHUNK = 500


class NothingToReconcile(InvalidInput):
    """The import brought no orders, journal or settlement lines in the caller's scope."""


NOTHING_TO_RECONCILE = ("Nothing to reconcile: this import brought no orders, journal or settlement lines "
                        "of your merchants.")


@dataclass(frozen=True)
class ImportDays:
    batch_id: int
    merchant_ids: tuple[str, ...]
    date_from: date
    date_to: date
    merchant_names: tuple[str, ...] = ()  # in the order of merchant_ids

    @property
    def merchant_id(self) -> str | None:
        """The one merchant of the import, or None (every merchant of the caller's scope)."""
        return self.merchant_ids[0] if len(self.merchant_ids) == 1 else None

    def scope(self) -> DbScope:
        return DbScope(self.merchant_id, self.date_from, self.date_to)

    def findings_url(self) -> str:
        """The findings list filtered to these days (and this merchant)."""
        query = {"date_from": self.date_from.isoformat(), "date_to": self.date_to.isoformat()}
        if self.merchant_id:
            query["merchant_id"] = self.merchant_id
        return "/findings?" + urlencode(query)


def import_batch(session: Session, principal: Principal, batch_id: int | str) -> ImportBatch:
    """One import of the caller's tenant (merchant users: one they imported, as the imports list shows)."""
    text = str(batch_id).strip()
    batch = session.get(ImportBatch, int(text)) if text.isdigit() and len(text) <= 18 else None
    if batch is None or batch.tenant_id != principal.tenant_id or (
            principal.limited_to_merchants and batch.imported_by != principal.username):
        raise NotFound(f"no import {text[:20]}")
    return batch


def days_of_imports(session: Session, principal: Principal, batch_ids: Iterable[int]) -> dict[int, ImportDays]:
    """The days each import brought, of the caller's merchants (imports that brought none are left out)."""
    wanted = sorted(set(batch_ids))
    names = {m.merchant_id: m.name or m.merchant_id for m in list_merchants(session, principal)}
    merchants = sorted(names)
    spans: dict[int, dict[str, tuple[date, date]]] = {}
    for model in FACT_TABLES:
        for start in range(0, len(wanted), CHUNK):
            query = (select(model.import_id, model.merchant_id, func.min(model.local_date),
                            func.max(model.local_date))
                     .where(model.tenant_id == principal.tenant_id, model.import_id.in_(wanted[start:start + CHUNK]),
                            model.merchant_id.in_(merchants))
                     .group_by(model.import_id, model.merchant_id))
            for batch_id, merchant_id, first, last in session.execute(query):
                _widen(spans.setdefault(int(batch_id), {}), str(merchant_id), first, last)
    return {batch_id: _days(batch_id, by_merchant, names) for batch_id, by_merchant in spans.items()}


def _widen(spans: dict[str, tuple[date, date]], merchant_id: str, first: date, last: date) -> None:
    known = spans.get(merchant_id)
    spans[merchant_id] = (min(first, known[0]), max(last, known[1])) if known else (first, last)


def _days(batch_id: int, by_merchant: dict[str, tuple[date, date]], names: dict[str, str]) -> ImportDays:
    first = min(span[0] for span in by_merchant.values())
    last = max(span[1] for span in by_merchant.values())
    merchant_ids = tuple(sorted(by_merchant))
    return ImportDays(batch_id, merchant_ids, first, last, tuple(names[m] for m in merchant_ids))


def days_to_reconcile(session: Session, principal: Principal, batch_id: int | str) -> ImportDays:
    """The days of one import; NothingToReconcile when it brought none of the caller's merchants."""
    batch = import_batch(session, principal, batch_id)
    days = days_of_imports(session, principal, [batch.id]).get(batch.id)
    if days is None:
        raise NothingToReconcile(NOTHING_TO_RECONCILE)
    return days
