"""Database engine and sessions. SQLite (WAL) is the embedded default; PostgreSQL via RECOUP_DATABASE_URL."""

from __future__ import annotations

import collections
import functools
import re
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import psycopg
from psycopg import Column
from psycopg.pq import ExecStatus
from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from recoup.audit.setup import AuditSetup

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; SQLite gives them back aware too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# 64-bit everywhere, but INTEGER on SQLite so that primary keys autoincrement.
BIGINT = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), int: BIGINT}


class TenantRow:
    """Mixin: the integer id and the owning tenant that a tenant's table starts with (its first two columns).

    `tenant_indexed = False` for a table that needs no index of tenant_id alone (e.g. its unique key
    starts with it)."""

    tenant_indexed: ClassVar[bool] = True

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-2)

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("tenants.id"), index=cls.tenant_indexed, sort_order=-1)


def utcnow() -> datetime:
    return datetime.now(UTC)


def exclusive(session: Session) -> None:
    """Serialise this unit of work with every other writer. On SQLite: BEGIN IMMEDIATE (a no-op once
    the transaction has written, as it then holds the write lock). On PostgreSQL row locks
    (SELECT ... FOR UPDATE) do this job, so nothing happens here."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if not getattr(raw, "in_transaction", True):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def upsert_for(session: Session) -> Callable[[Any], PostgresInsert | SqliteInsert]:
    """The dialect's INSERT, the one that knows ON CONFLICT DO NOTHING / DO UPDATE."""
    return postgres_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@dataclass(frozen=True)
class PoolSizes:
    """One process's PostgreSQL connection pool (Settings.db_pool_*); SQLite opens a file and needs none."""

    size: int = 10
    overflow: int = 20
    timeout_seconds: float = 30.0
    recycle_seconds: int = 1800


def make_engine(url: str, pool: PoolSizes | None = None) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    pool = pool or PoolSizes()
    engine = create_engine(url, pool_size=pool.size, max_overflow=pool.overflow, pool_timeout=pool.timeout_seconds,
                           pool_recycle=pool.recycle_seconds, connect_args={"cursor_factory": LeanCursor})
    event.listen(engine, "checkin", _checked_in)
    event.listen(engine, "checkout", _checked_out)
    event.listen(engine, "before_cursor_execute", _begin_before_writes)
    return engine


class LeanCursor(psycopg.Cursor[Any]):
    """psycopg's cursor, whose `description` makes its Column objects only when something reads them.
    SQLAlchemy asks for the description after every statement but, for a statement it has run before (its
    compiled cache: nearly all of ours), only to learn whether rows came back; psycopg built one Column per
    column each time (some 160 per case read as JSON: 15% of its CPU, bench/serve_profile.py --profile)."""

    @property
    def description(self) -> Sequence[Column] | None:  # type: ignore[override]
        result = self.pgresult
        if result and (result.nfields or result.status in _ROWS_CAME):
            return _Description(self, result)
        return None


_ROWS_CAME = (ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK)


class _Description(Sequence[Column]):
    """One result's columns as psycopg's `description` lists them, made on first use, from that result (not
    from whichever result the cursor holds by then): it stands in for the cursor Column reads them from."""

    __slots__ = ("_columns", "_cursor", "adapters", "pgresult")

    def __init__(self, cursor: LeanCursor, result: Any) -> None:
        self._cursor, self.pgresult, self.adapters = cursor, result, cursor.adapters
        self._columns: list[Column] | None = None

    @property
    def _encoding(self) -> str:
        return self._cursor._encoding

    def _made(self) -> list[Column]:
        if self._columns is None:
            self._columns = [Column(self, index) for index in range(len(self))]  # type: ignore[arg-type]
        return self._columns

    def __len__(self) -> int:
        return int(self.pgresult.nfields)

    def __getitem__(self, index: Any) -> Any:
        return self._made()[index]

    def __iter__(self) -> Iterator[Column]:
        return iter(self._made())


# Reads first (`unit_of_work(reads_first=True)`: the GET requests, the look-up of who is asking): on PostgreSQL
# such a unit of work starts in autocommit, so one that only reads sends no BEGIN and no COMMIT, two round trips
# of its three or four. The first statement that is not a plain read (a write, a SAVEPOINT, a lock: SELECT ...
# FOR UPDATE/SHARE, an advisory lock; or a server-side cursor) turns the connection back to transactions before
# it runs, so psycopg opens one (BEGIN) and everything from there on commits or rolls back together, as
# before. Under READ COMMITTED each statement reads its own snapshot anyway, so the reads before it saw what
# they would have seen inside the transaction. Code that writes through the raw driver (COPY) runs in units
# of work of the default kind.
READS_FIRST = "reads_first"
_LOCKING = re.compile(r"\bFOR\s+(?:UPDATE|SHARE|NO\s+KEY\s+UPDATE|KEY\s+SHARE)\b|advisory", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)  # statements come from SQLAlchemy's compiled cache: the same few texts again
def _plain_read(statement: str) -> bool:
    return statement.lstrip()[:6].upper() == "SELECT" and _LOCKING.search(statement) is None


def _begin_before_writes(_connection: Any, cursor: Any, statement: str, *_: Any) -> None:
    raw = cursor.connection
    if raw.autocommit and (not _plain_read(statement) or isinstance(cursor, psycopg.ServerCursor)):
        raw.autocommit = False  # psycopg sends BEGIN before this statement


def _reads_first(session: Session, _transaction: Any, connection: Any) -> None:
    if session.info.get(READS_FIRST) and connection.dialect.name == "postgresql":
        raw = connection.connection.dbapi_connection
        if raw.pgconn.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            raw.autocommit = True


# A connection that sat in the pool a while is pinged before use (the database may have restarted meanwhile:
# the pool then opens a fresh one); one used a moment ago is not, which spares a round trip on nearly every
# request under load (`pool_pre_ping` pinged each checkout, inside a transaction of its own: three). A restart
# under load fails the requests that held a connection with a 503 "try again" (recoup.web.errors); the failure
# invalidates the whole pool, so the next ones connect afresh.
IDLE_PING_SECONDS = 2.0


def _checked_in(dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()
    if dbapi_connection is not None and dbapi_connection.autocommit:
        dbapi_connection.autocommit = False  # the pool holds connections of the default kind


def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    since = record.info.get("idle_since")
    if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
        return
    try:
        dbapi_connection.execute("SELECT 1")
        dbapi_connection.rollback()
    except Exception as error:  # any failure: the pool discards this connection and checks out another
        raise DisconnectionError(f"a pooled connection no longer answers: {error}") from error


class FixedRead:
    """A read statement built once, run on PostgreSQL straight through the driver: compiled once, its parameters
    and rows passed through the same type processors SQLAlchemy would apply, with no execution context, result
    object or ORM step per run (bench: 0.19 ms of CPU a statement through the session, 0.04 this way). The
    engine's cursor events still see it (counters; reads first: `_begin_before_writes`), and a driver error
    comes out as SQLAlchemy's, as from `session.execute`. Rows are named tuples: attributes, `_mapping`,
    positions. Elsewhere (SQLite) `rows` is `session.execute`'s rows. No IN-list (expanding) parameters."""

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._autoflush = statement._propagate_attrs.get("compile_state_plugin") == "orm"
        self._compiled: _CompiledRead | None = None
        _FIXED_READS.add(self)

    def rows(self, session: Session, values: dict[str, Any]) -> list[Any]:
        if self._autoflush and session.autoflush and (session.new or session.dirty or session.deleted):
            session.flush()  # as session.execute would, before a statement of mapped classes
        connection = session.connection()
        if connection.dialect.name != "postgresql":
            return list(session.execute(self.statement, values))
        compiled = self._compiled or self._compile(connection.dialect)
        parameters = {**compiled.defaults, **values}
        for name, process in compiled.bind_processors:
            parameters[name] = process(parameters[name])
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        found: Any = None
        try:
            connection._cursor_execute(cursor, compiled.sql, parameters)  # a failure: SQLAlchemy's error
            try:
                found = cursor.fetchall()
            except BaseException as error:
                connection._handle_dbapi_exception(error, compiled.sql, parameters, cursor, None)
            if compiled.result_processors is None:
                compiled.result_processors = _result_processors(compiled.result_types, connection.dialect, cursor)
        finally:
            cursor.close()
        return compiled.make_rows(found)

    def _compile(self, dialect: Any) -> _CompiledRead:
        compiled: Any = self.statement.compile(dialect=dialect)
        if any(bind.expanding or bind.literal_execute for bind in compiled.bind_names) or compiled.escaped_bind_names:
            raise ValueError("a FixedRead takes no IN-list, literal or escaped parameters")
        defaults = {name: value for name, value in compiled.construct_params(_check=False).items()
                    if value is not None}
        processors = [(name, process) for name, process in compiled._bind_processors.items() if process is not None]
        columns = compiled._result_columns
        names = [column.keyname for column in columns]
        if len(set(names)) < len(names) or not all(isinstance(name, str) and name.isidentifier() for name in names):
            raise ValueError(f"a FixedRead's columns need names of their own: {names}")
        self._compiled = _CompiledRead(compiled.string, defaults, processors, [column.type for column in columns],
                                       _row_class(tuple(names)))
        return self._compiled


# Every FixedRead made (module constants, and the few built on first use and kept): compile_fixed_reads.
_FIXED_READS: weakref.WeakSet[FixedRead] = weakref.WeakSet()


def compile_fixed_reads(dialect: Any) -> int:
    """Compile for `dialect` (PostgreSQL's: elsewhere a FixedRead is not compiled) every FixedRead made so far and
    not yet compiled; how many. A web process's warm-up (recoup.web.warm_up): the first request running each
    would otherwise compile it, 2-4 ms a statement (its first case as JSON took 35 ms against 10 after)."""
    if dialect.name != "postgresql":
        return 0
    waiting = [read for read in list(_FIXED_READS) if read._compiled is None]
    for read in waiting:
        read._compile(dialect)
    return len(waiting)


def _result_processors(types: list[Any], dialect: Any, cursor: Any) -> list[tuple[int, Any]]:
    """Per column of the result, the processor SQLAlchemy applies (by the column's type and the driver's type
    code, as its result metadata asks for it), where there is one."""
    codes = [column[1] for column in cursor.description or ()]
    found = []
    for index, type_ in enumerate(types):
        process = type_._cached_result_processor(dialect, codes[index] if index < len(codes) else None)
        if process is not None:
            found.append((index, process))
    return found


class _CompiledRead:
    __slots__ = ("bind_processors", "defaults", "result_processors", "result_types", "row_class", "sql")

    def __init__(self, sql: str, defaults: dict[str, Any], bind_processors: list[tuple[str, Any]],
                 result_types: list[Any], row_class: Any) -> None:
        self.sql, self.defaults, self.bind_processors = sql, defaults, bind_processors
        self.result_types, self.row_class = result_types, row_class
        self.result_processors: list[tuple[int, Any]] | None = None

    def make_rows(self, found: list[Any]) -> list[Any]:
        make, processors = self.row_class._make, self.result_processors or ()
        if not processors:
            return [make(row) for row in found]
        rows = []
        for row in found:
            values = list(row)
            for index, process in processors:
                values[index] = process(values[index])
            rows.append(make(values))
        return rows


@functools.lru_cache(maxsize=256)
def _row_class(names: tuple[str, ...]) -> Any:
    base: Any = collections.namedtuple("FixedRow", names)  # type: ignore[misc]

    class FixedRow(base):
        """A row by attribute and by position, with `_mapping` as SQLAlchemy's rows have it."""

        __slots__ = ()

        @property
        def _mapping(self) -> dict[str, Any]:
            return dict(self._asdict())

    return FixedRow


class Database:
    """Holds the engine and hands out units of work; the caller owns the transaction."""

    def __init__(self, url: str, audit: AuditSetup | None = None, pool: PoolSizes | None = None) -> None:
        self.url = url
        self.engine = make_engine(url, pool)
        # `audit` (the audit key and checkpoint folder) rides on every session: `recoup.audit.setup`.
        self.audit = audit
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, info={"audit": audit})
        from recoup.free_text import install  # card numbers typed into free text are masked before a flush

        install(self.sessions)
        from recoup.audit.lock_order import install as chain_at_commit

        chain_at_commit(self.sessions)
        event.listen(self.sessions, "after_begin", _reads_first)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def unit_of_work(self, *, reads_first: bool = False) -> Iterator[Session]:
        """A session whose transaction commits when the block ends and rolls back when it raises.
        `reads_first`: a unit of work that mostly reads, started in autocommit on PostgreSQL (above)."""
        session = self.sessions()
        if reads_first:
            session.info[READS_FIRST] = True
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


