"""Rows written when their transaction commits: the case timeline and the webhook outbox, one INSERT per table.

A change of a case writes a timeline entry and an outbox event, and a first refund makes three such changes in
its first transaction. Written as they came, that was three INSERTs of entries, three of events, and (as each
entry's INSERT flushed the case first) an UPDATE of the case per state move (bench/load.py: 42 statements a first
refund). Kept on the session instead, they go in at commit, each kind's rows by one executemany in the order they
were recorded, before the audit chain is settled: the audit head stays the last lock of every writer
(recoup.audit.lock_order).

A statement through the session on one of their tables (a read of the timeline, another insert) writes them
first, so a transaction sees its own rows, in their order, as before. A savepoint rolled back drops the rows
recorded in it; a transaction rolled back drops all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from recoup.statement_tables import statement_tables

Writer = Callable[[Session, list[Any]], None]


@dataclass(frozen=True)
class _Kind:
    tables: frozenset[str]  # a statement on one of them must see the rows
    write: Writer


_KINDS: dict[str, _Kind] = {}  # in the order they are written
_PENDING = "recoup.deferred_rows"  # session.info: [(kind, row, the innermost transaction it was recorded in)]
_WATCHED = "recoup.deferred_rows.watched"


def deferred_kind(name: str, tables: Iterable[str]) -> Callable[[Writer], Writer]:
    """Register `write(session, rows)` as the writer of the rows deferred under `name`."""
    def register(write: Writer) -> Writer:
        _KINDS[name] = _Kind(frozenset(tables), write)
        return write
    return register


def defer(session: Session, kind: str, row: object) -> None:
    """Keep `row` until this transaction commits or touches the kind's tables."""
    where = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((kind, row, where))
    if not session.info.get(_WATCHED):
        session.info[_WATCHED] = True
        event.listen(session, "do_orm_execute", _touches_deferred)


def write_deferred(session: Session) -> None:
    """Write every row waiting, kind by kind; none wait afterwards."""
    found = session.info.pop(_PENDING, None)
    if not found:
        return
    for name, kind in _KINDS.items():
        rows = [row for kind_name, row, _ in found if kind_name == name]
        if rows:
            kind.write(session, rows)


def _touches_deferred(state: ORMExecuteState) -> None:
    found = state.session.info.get(_PENDING)
    if not found:
        return
    touched = statement_tables(state.statement)
    if touched is not None and not any(touched & _KINDS[name].tables for name, _, _ in found):
        return
    write_deferred(state.session)  # plain SQL text may read anything: written first


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def drop_rolled_back(session: Session, key: str, previous: SessionTransaction) -> None:
    """After a rollback, of the items kept under session.info[key] (tuples whose last member is the innermost
    transaction each was recorded in): a savepoint drops those recorded inside it, the whole transaction all."""
    found = session.info.get(key)
    if not found:
        return
    if previous.parent is None:
        session.info.pop(key, None)
        return
    session.info[key] = [item for item in found if not _within(item[-1], previous)]


def _before_commit(session: Session) -> None:
    if session.get_nested_transaction() is None:  # a savepoint's release keeps them for its transaction
        write_deferred(session)


def _rolled_back(session: Session, previous: SessionTransaction) -> None:
    drop_rolled_back(session, _PENDING, previous)


def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


# First among the session's before_commit listeners: the rows go in before the audit chain takes its head's lock.
event.listen(Session, "before_commit", _before_commit, insert=True)
event.listen(Session, "after_soft_rollback", _rolled_back)
event.listen(Session, "after_transaction_end", _ended)
