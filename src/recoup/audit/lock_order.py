"""One lock order on PostgreSQL: the audit head before any row lock.

Every change appends to the audit chain, whose head row is locked from the first entry of a transaction
until its commit. A transaction that recorded an entry and then locks a row (a case, a sale) waits for a
transaction that locked that row first and now waits for the head: a deadlock, which PostgreSQL breaks by
failing one of them. Taking the head before the first `SELECT … FOR UPDATE` of a transaction gives every
writer the same order (head, then rows). Writers already queue on the head, so nothing is lost but the
deadlock. `SKIP LOCKED` claims (outbox, webhooks) are left alone: they lock nothing another waits for.
SQLite needs none of this: one writer holds the whole file (recoup.db.exclusive).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

HEAD_TAKEN = "audit_head_taken"


def _forget(session: Session, _transaction: Any, _connection: Any) -> None:
    session.info.pop(HEAD_TAKEN, None)


def _head_first(state: ORMExecuteState) -> None:
    if not state.is_select or state.session.info.get(HEAD_TAKEN):
        return
    lock = getattr(state.statement, "_for_update_arg", None)
    if lock is None or lock.skip_locked or lock.nowait:
        return
    from recoup.audit.models import AuditHead
    from recoup.audit.service import lock_head

    if any(mapper.class_ is AuditHead for mapper in state.all_mappers):
        return
    session = state.session
    if session.get_bind().dialect.name != "postgresql":
        return
    session.info[HEAD_TAKEN] = True
    lock_head(session)


def install(sessions: sessionmaker[Session]) -> None:
    event.listen(sessions, "after_begin", _forget)
    event.listen(sessions, "do_orm_execute", _head_first)
