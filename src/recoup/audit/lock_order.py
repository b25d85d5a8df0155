"""One lock order on PostgreSQL: the audit head after every row lock, held for milliseconds.

Every change appends to the audit chain, whose head row is locked while entries are chained. Holding it
from a transaction's first entry until its commit made every writer of every process run one after the
other, and a transaction that held the head and then locked a row deadlocked with one that held the row
and waited for the head. So `record` keeps its entries on the session (`pending`), and they are chained
and inserted right before COMMIT (`before_commit`): the head is the LAST lock of every writer, the same
order for all (rows, then the head), and it is held only from the head's SELECT ... FOR UPDATE to COMMIT.

Two things chain them sooner, in the transaction that recorded them: a read of the trail (a statement on
`audit_entries` or `audit_head` through the session, so a transaction sees its own entries as before)
and asking a recorded entry for its sequence number (`RecordedEntry.seq`). A savepoint rolled back drops
the entries recorded in it; a transaction rolled back drops all of its entries. SQLite keeps its single
writer: chaining calls `exclusive` (BEGIN IMMEDIATE unless the transaction has already written).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, sessionmaker

from recoup.deferred_rows import drop_rolled_back
from recoup.statement_tables import statement_tables

if TYPE_CHECKING:
    from recoup.audit.models import AuditEntry

PENDING = "audit_pending"  # session.info: [(entry, the innermost transaction it was recorded in)]
_installed = False


def add_pending(session: Session, entries: list[AuditEntry]) -> None:
    """Keep `entries` (not yet chained) until this transaction commits or reads the trail."""
    install()
    where = session.get_nested_transaction() or session.get_transaction()
    found = session.info.setdefault(PENDING, [])
    found.extend((entry, where) for entry in entries)
    if not session.info.get(_WATCHED):
        session.info[_WATCHED] = True
        event.listen(session, "do_orm_execute", _reads_trail)


def take_pending(session: Session) -> list[AuditEntry]:
    """The entries waiting to be chained, in the order they were recorded; none wait afterwards."""
    found = session.info.pop(PENDING, None)
    return [entry for entry, _ in found] if found else []


def _rolled_back(session: Session, previous: SessionTransaction) -> None:
    """A rolled-back savepoint drops what was recorded inside it; the whole transaction drops everything."""
    drop_rolled_back(session, PENDING, previous)


def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(PENDING, None)


def _before_commit(session: Session) -> None:
    if session.info.get(PENDING) and session.get_nested_transaction() is None:  # a savepoint's release waits
        from recoup.audit.service import settle

        settle(session)


_TRAIL = frozenset({"audit_entries", "audit_head"})
# Whether this session listens for reads of the trail: from its first recorded entry on. Listened for on every
# Session, any statement of any request paid for it (SQLAlchemy then builds an ORMExecuteState per statement,
# and prepares an ORM statement twice); a session that records nothing reads nothing it must chain first.
_WATCHED = "audit_watches_reads"


def _reads_trail(state: ORMExecuteState) -> None:
    """A statement on the trail or its head sees this transaction's entries: they are chained first."""
    if not state.session.info.get(PENDING):
        return
    from recoup.audit.service import settle

    if (statement_tables(state.statement) or frozenset()) & _TRAIL:  # plain SQL text: as before, not chained
        settle(state.session)


def install(_sessions: sessionmaker[Session] | None = None) -> None:
    """Listen on every Session (once per process): entries are chained at commit whoever opened the session."""
    global _installed
    if _installed:
        return
    _installed = True
    listeners: dict[str, Any] = {"before_commit": _before_commit, "after_soft_rollback": _rolled_back,
                                 "after_transaction_end": _ended}
    for name, listener in listeners.items():
        event.listen(Session, name, listener)
