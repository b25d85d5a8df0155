"""Case queries, always within the caller's tenant and merchants (the worker's system queries say so)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, String, bindparam, exists, func, or_, select, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.bounds import is_ascii_digits
from recoup.cases.ladder import DEFAULT_LADDER, LadderConfig
from recoup.cases.models import Case, CaseAlert, CaseCounter, CaseEvent, CaseKey, LadderSetting
from recoup.cases.states import FINAL_STATES, CaseState
from recoup.db import FixedRead
from recoup.errors import NotFound
from recoup.ledger.models import LedgerBalance
from recoup.ledger.service import ACCOUNT_ORDER, exclusive
from recoup.merchants.models import Merchant
from recoup.reconciliation.models import StoredFinding
from recoup.transactions.models import JournalLine, SettlementLine

CASE_NUMBER = re.compile(r"^RC-[0-9]{4}-[0-9]{6,}$")
# States in which the ladder's clock no longer runs.
STOPPED_CLOCK = sorted(state.value for state in FINAL_STATES | {CaseState.RESOLVED})


def scoped_cases(principal: Principal) -> Select[Case]:
    query = select(Case).where(Case.tenant_id == principal.tenant_id)
    if principal.limited_to_merchants:
        query = query.where(Case.merchant_id.in_(sorted(principal.merchant_ids)))
    return query


def _by_reference(reference: str) -> tuple[str, str | int] | None:
    """A case is named by its number (RC-2026-000123) or its numeric id: ("number", text) or ("id", int)."""
    text = reference.strip().upper()
    if CASE_NUMBER.match(text):
        return "number", text
    if is_ascii_digits(text) and len(text) < 18:  # not "²": str.isdigit() takes it, int() does not
        return "id", int(text)
    return None


@cache
def _case_statement(named_by: str, limited: bool, lock: bool) -> Select[Case]:
    """The statement of get_case, built once per shape (no statement building, no cache key per request):
    the tenant, the merchants of a merchant role (an expanding list) and the number or id as parameters."""
    query = select(Case).where(Case.tenant_id == bindparam("tenant_id"),
                               (Case.number if named_by == "number" else Case.id) == bindparam("reference"))
    if limited:
        query = query.where(Case.merchant_id.in_(bindparam("merchant_ids", expanding=True)))
    return query.with_for_update() if lock else query


def _reference_values(principal: Principal, reference: str) -> tuple[str, dict[str, object]]:
    """How the reference names the case ("number" or "id") and the values of _case_statement's parameters."""
    named = _by_reference(reference)
    if named is None:
        raise NotFound(f"no case {reference!r}: name a case by its number, e.g. RC-2026-000123")
    values: dict[str, object] = {"tenant_id": principal.tenant_id, "reference": named[1]}
    if principal.limited_to_merchants:
        values["merchant_ids"] = sorted(principal.merchant_ids)
    return named[0], values


def get_case(session: Session, principal: Principal, reference: str, *, lock: bool = False) -> Case:
    """The case in the caller's scope, or NotFound (404) — never 403 for another tenant's case."""
    named_by, values = _reference_values(principal, reference)
    if lock:
        exclusive(session)
    statement = _case_statement(named_by, principal.limited_to_merchants, lock)
    found = session.execute(statement, values).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no case {reference}")
    return found


@cache
def _case_row_read(named_by: str) -> FixedRead:
    table: Any = Case.__table__
    key = table.c.number if named_by == "number" else table.c.id
    return FixedRead(select(table).where(table.c.tenant_id == bindparam("tenant_id"), key == bindparam("reference")))


def case_to_read(session: Session, principal: Principal, reference: str) -> Any:
    """get_case for a read that changes nothing (GET /cases/{id}): the case's row, with Case's attributes, read
    straight through the driver on PostgreSQL (recoup.db.FixedRead: no ORM object); a merchant role's case (an
    IN-list of its merchants) is get_case's. NotFound (404) as get_case."""
    if principal.limited_to_merchants:
        return get_case(session, principal, reference)
    named_by, values = _reference_values(principal, reference)
    found = _case_row_read(named_by).rows(session, values)
    if not found:
        raise NotFound(f"no case {reference}")
    return found[0]


@cache
def _case_and_merchant_statement(named_by: str, limited: bool) -> Select[Any]:
    """get_case's statement with the case's merchant beside it (None when its row is gone), as the case page
    would have it from session.get(Merchant, case.merchant_id)."""
    return (_case_statement(named_by, limited, False).add_columns(Merchant)
            .outerjoin(Merchant, Merchant.merchant_id == Case.merchant_id))


def get_case_and_merchant(session: Session, principal: Principal, reference: str) -> tuple[Case, Merchant | None]:
    """get_case and the case's merchant, in one statement (the case page)."""
    named_by, values = _reference_values(principal, reference)
    statement = _case_and_merchant_statement(named_by, principal.limited_to_merchants)
    found: Any = session.execute(statement, values).one_or_none()
    if found is None:
        raise NotFound(f"no case {reference}")
    return found[0], found[1]


def get_case_by_id(session: Session, case_id: int, *, lock: bool = False) -> Case:
    """System scope (worker, imports): the case with this id, whatever its tenant."""
    query = select(Case).where(Case.id == case_id)
    if lock:
        exclusive(session)
        query = query.with_for_update()
    return session.execute(query).scalar_one()


def list_cases(
    session: Session, principal: Principal, *, state: str | None = None, merchant_id: str | None = None,
    kind: str | None = None, overdue_at: datetime | None = None, limit: int | None = None,
) -> list[Case]:
    """The caller's cases, oldest first; all of them unless a limit is given."""
    query = scoped_cases(principal)
    if state:
        query = query.where(Case.state == state.upper())
    if merchant_id:
        query = query.where(Case.merchant_id == merchant_id)
    if kind:
        query = query.where(Case.kind == kind.upper())
    if overdue_at is not None:
        query = query.where(Case.deadline_at < overdue_at, Case.state.not_in(STOPPED_CLOCK))
    query = query.order_by(Case.id)
    if limit is not None:
        query = query.limit(max(1, limit))
    return list(session.execute(query).scalars())


def case_for_keys(session: Session, tenant_id: int, keys: Sequence[str]) -> Case | None:
    """The (first) case that already claims one of these transactions."""
    if not keys:
        return None
    query = (select(Case).join(CaseKey, CaseKey.case_id == Case.id)
             .where(CaseKey.tenant_id == tenant_id, CaseKey.key.in_(list(keys))).order_by(Case.id).limit(1))
    return session.execute(query).scalar_one_or_none()


def claimed_keys(session: Session, tenant_id: int, keys: Sequence[str]) -> set[str]:
    if not keys:
        return set()
    rows = session.execute(select(CaseKey.key).where(CaseKey.tenant_id == tenant_id, CaseKey.key.in_(list(keys))))
    return {row[0] for row in rows}


# What a case page and GET /cases/{id} read of one case, each statement built once.
_TIMELINE = select(CaseEvent).where(CaseEvent.case_id == bindparam("case_id")).order_by(CaseEvent.id)
_ALERTS = select(CaseAlert).where(CaseAlert.case_id == bindparam("case_id")).order_by(CaseAlert.id)
_FINDINGS = select(StoredFinding).where(StoredFinding.case_id == bindparam("case_id")).order_by(StoredFinding.id)


def _rows_of(model: type[CaseEvent] | type[CaseAlert] | type[StoredFinding]) -> Select[Any]:
    """Every column of the model's table for one case, oldest first, as plain rows (read-only views: no ORM
    object per row, which costs more than the row's reading)."""
    table: Any = model.__table__
    return select(table).where(table.c.case_id == bindparam("case_id")).order_by(table.c.id)


# These reads of a case, the case's own facts and its lines run straight through the driver on PostgreSQL
# (recoup.db.FixedRead: no SQLAlchemy result object per statement); their rows have the same attributes.
_TIMELINE_ROWS, _ALERT_ROWS, _FINDING_ROWS = (FixedRead(_rows_of(model))
                                              for model in (CaseEvent, CaseAlert, StoredFinding))


def timeline_rows(session: Session, case_id: int) -> list[Any]:
    """The case's timeline as rows with CaseEvent's attributes (GET /cases/{id}, the case page)."""
    return _TIMELINE_ROWS.rows(session, {"case_id": case_id})


def alert_rows(session: Session, case_id: int) -> list[Any]:
    return _ALERT_ROWS.rows(session, {"case_id": case_id})


def finding_rows(session: Session, case_id: int) -> list[Any]:
    return _FINDING_ROWS.rows(session, {"case_id": case_id})


def timeline(session: Session, case_id: int) -> list[CaseEvent]:
    return list(session.execute(_TIMELINE, {"case_id": case_id}).scalars())


def alerts_of(session: Session, case_id: int) -> list[CaseAlert]:
    return list(session.execute(_ALERTS, {"case_id": case_id}).scalars())


def findings_of(session: Session, case_id: int) -> list[StoredFinding]:
    return list(session.execute(_FINDINGS, {"case_id": case_id}).scalars())


def _claimed_rrn_rows() -> Any:
    """The RRNs of the transactions a case claims, as a subquery: those of its keys of its merchant (a key
    "txn:<merchant>:<rrn>", cut after the prefix) and the case's own RRN (NULL when it has none, which matches no
    line). Chosen inside the line reads below, not read first (the values: _claim_values)."""
    keys: Any = CaseKey.__table__
    prefix = bindparam("prefix", type_=String)
    claimed = select(func.substr(keys.c.key, bindparam("cut", type_=Integer))).where(
        keys.c.case_id == bindparam("case_id"),
        func.substr(keys.c.key, 1, bindparam("width", type_=Integer)) == prefix)
    return union_all(claimed, select(bindparam("own_rrn", type_=String)))


def _claim_values(case: Case) -> dict[str, object]:
    prefix = f"txn:{case.merchant_id}:"
    return {"tenant_id": case.tenant_id, "case_id": case.id, "prefix": prefix, "width": len(prefix),
            "cut": len(prefix) + 1, "own_rrn": case.rrn or None}


# Looked up by the (tenant, rrn) key alone, the merchant checked and the lines sorted in Python: with the merchant
# or an ORDER BY in the query SQLite's planner walks the merchant's whole time index instead.
_CLAIMED = _claimed_rrn_rows()
_JOURNAL_TABLE: Any = JournalLine.__table__
_SETTLED_TABLE: Any = SettlementLine.__table__
_JOURNAL_CLAIMED = (_JOURNAL_TABLE.c.tenant_id == bindparam("tenant_id"), _JOURNAL_TABLE.c.rrn.in_(_CLAIMED))
_SETTLED_CLAIMED = (_SETTLED_TABLE.c.tenant_id == bindparam("tenant_id"), _SETTLED_TABLE.c.rrn.in_(_CLAIMED))
_JOURNAL = select(JournalLine).where(*_JOURNAL_CLAIMED)  # ORM objects (transactions_of)
_SETTLED = select(SettlementLine).where(*_SETTLED_CLAIMED)
_JOURNAL_ROWS = FixedRead(select(_JOURNAL_TABLE).where(*_JOURNAL_CLAIMED))  # plain rows (transaction_rows)
_SETTLED_ROWS = FixedRead(select(_SETTLED_TABLE).where(*_SETTLED_CLAIMED))


def _claimed_lines(case: Case, journal: Iterable[Any], settled: Iterable[Any]) -> tuple[list[Any], list[Any]]:
    """The lines of the case's merchant, the journal's by time and the settlement's by day (ties by id)."""
    return (sorted((line for line in journal if line.merchant_id == case.merchant_id),
                   key=lambda line: (line.txn_time, line.id)),
            sorted((line for line in settled if line.merchant_id == case.merchant_id),
                   key=lambda line: (line.settle_date, line.id)))


def transactions_of(session: Session, case: Case) -> list[JournalLine | SettlementLine]:
    """The stored journal and settlement lines of the transactions the case claims."""
    values = _claim_values(case)
    journal, settled = _claimed_lines(case, session.execute(_JOURNAL, values).scalars(),
                                      session.execute(_SETTLED, values).scalars())
    return [*journal, *settled]


def transaction_rows(session: Session, case: Case) -> tuple[list[Any], list[Any]]:
    """transactions_of as plain rows (read-only views: no ORM object per line), the journal's and the
    settlement's apart (GET /cases/{id}, the case page)."""
    values = _claim_values(case)
    return _claimed_lines(case, _JOURNAL_ROWS.rows(session, values), _SETTLED_ROWS.rows(session, values))


def _balance_of(account: str) -> Any:
    balances: Any = LedgerBalance.__table__
    return select(balances.c.balance_minor).where(
        balances.c.tenant_id == bindparam("tenant_id"), balances.c.merchant_id == bindparam("merchant_id"),
        balances.c.currency == bindparam("currency"), balances.c.account == account).scalar_subquery()


def _any_of(model: type[CaseAlert] | type[StoredFinding]) -> Any:
    table: Any = model.__table__
    return exists().where(table.c.case_id == bindparam("case_id"))


# What case_facts asks besides the balances: whether the case has any rows of these (each read only if so).
CASE_HAS: dict[str, Any] = {"findings": _any_of(StoredFinding), "alerts": _any_of(CaseAlert)}


@cache
def _facts_statement(more: tuple[tuple[str, Any], ...]) -> FixedRead:
    balances = [_balance_of(account.value).label(f"balance_{n}") for n, account in enumerate(ACCOUNT_ORDER)]
    flags = [found.label(f"has_{name}") for name, found in (*CASE_HAS.items(), *more)]
    return FixedRead(select(*balances, *flags))


def build_case_reads(*mores: tuple[tuple[str, Any], ...]) -> None:
    """Build the case reads made on first use (a case by number or by id; case_facts without and with each of
    `mores`), so that a web process's warm-up compiles them before its first request (recoup.db.compile_fixed_reads)."""
    for named_by in ("number", "id"):
        _case_row_read(named_by)
    for more in ((), *mores):
        _facts_statement(more)


@dataclass(frozen=True)
class CaseFacts:
    balances: dict[str, int]  # per account code (of ledger.service.ACCOUNT_ORDER), where the merchant has one
    has: dict[str, bool]  # per name of CASE_HAS (and the caller's `more`): whether the case has any such row


def case_facts(session: Session, case: Case, more: tuple[tuple[str, Any], ...] = ()) -> CaseFacts:
    """In one statement: the case's merchant's balance per account in the case's currency (case_balances, for
    the accounts the case shows) and whether the case has findings, alerts and the rows `more` asks about
    (name, an EXISTS on bindparam("case_id")), so that a read that would find nothing is not made."""
    values = {"tenant_id": case.tenant_id, "merchant_id": case.merchant_id, "currency": case.currency,
              "case_id": case.id}
    (row,) = _facts_statement(more).rows(session, values)
    found = row._mapping
    balances = {account.value: int(found[f"balance_{n}"]) for n, account in enumerate(ACCOUNT_ORDER)
                if found[f"balance_{n}"] is not None}
    names = [*CASE_HAS, *(name for name, _ in more)]
    return CaseFacts(balances, {name: bool(found[f"has_{name}"]) for name in names})


def due_case_ids(session: Session, now: datetime) -> list[int]:
    """System scope: cases whose rung deadline has passed and that were not alerted for it yet."""
    query = select(Case.id).where(
        Case.deadline_at < now, Case.state.not_in(STOPPED_CLOCK),
        or_(Case.alerted_deadline_at.is_(None), Case.alerted_deadline_at != Case.deadline_at),
    ).order_by(Case.id)
    return list(session.execute(query).scalars())


def ladder_overrides(session: Session, tenant_id: int) -> dict[str, object]:
    setting = session.get(LadderSetting, tenant_id)
    return dict(setting.overrides) if setting is not None else {}


def ladder_config(session: Session, tenant_id: int) -> LadderConfig:
    overrides = ladder_overrides(session, tenant_id)
    return LadderConfig.with_overrides(overrides) if overrides else DEFAULT_LADDER


def next_case_number(session: Session, year: int) -> str:
    """RC-<year>-<six digits>, counted per year across all tenants (numbers never repeat)."""
    return reserve_case_numbers(session, year, 1)[0]


def reserve_case_numbers(session: Session, year: int, count: int) -> list[str]:
    """`count` consecutive case numbers of `year`, taken in one statement (the counter row stays
    locked until the caller commits, so concurrent openers wait and never share a number)."""
    if count <= 0:
        return []
    insert = pg_insert if session.connection().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(CaseCounter).values(year=year, last=0).on_conflict_do_nothing(index_elements=["year"]))
    last = session.execute(
        update(CaseCounter).where(CaseCounter.year == year).values(last=CaseCounter.last + count)
        .returning(CaseCounter.last)
    ).scalar_one()
    return [f"RC-{year}-{number:06d}" for number in range(last - count + 1, last + 1)]
