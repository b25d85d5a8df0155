"""Booking cleared settlement in the ledger, set-based: a few INSERT ... SELECT for any number of lines.

The postings are those of `rules.settlement_cleared` (sales) and `rules.reversal(settled=True)` (refunds,
voids and reversals) written as SQL. First a temporary plan lists the lines to book and, for each,
whether another posting already booked its transaction (one snapshot: every later step agrees). Then
one posting per planned line (reference `settlement:<line id>`, so booking is idempotent), its entries
one template line at a time, and every touched balance once. A million lines take seconds, where a
posting per line took hours. No statement reads the ledger table it writes: PostgreSQL could otherwise
scan the rows the statement itself adds, again for every line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from psycopg.pq import TransactionStatus
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Insert,
    MetaData,
    Select,
    String,
    Table,
    and_,
    case,
    cast,
    collate,
    exists,
    false,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from recoup.db import UTCDateTime, exclusive, upsert_for, utcnow
from recoup.ledger import rules
from recoup.ledger.models import LedgerBalance, LedgerEntry, LedgerPosting
from recoup.ledger.rules import Account
from recoup.money import exponent_of
from recoup.transactions.models import SettlementLine

SALE_TYPES = frozenset({"SALE", "PREAUTH_COMPLETE"})
MONEY_OUT_TYPES = frozenset({"REFUND", "VOID", "REVERSAL"})
# A CHARGEBACK or CHARGEBACK_REVERSAL line (transactions.enums.DISPUTE_TYPES) is neither a sale nor money
# going out here: it is never booked, only confirms the postings of its dispute (recoup.disputes.confirm),
# which already moved that money (their txn_key names the chargeback: txn_booked(..., by_settlement=False)).
SETTLEMENT_KIND_PREFIX = "settlement."
REFERENCE_PREFIX = "settlement:"
IDS_PER_QUERY = 5000
ANALYZE_AFTER_ROWS = 10_000  # PostgreSQL plans a temporary table blind unless it is analysed
ENTRY_COLUMNS = ["posting_id", "tenant_id", "merchant_id", "account", "currency", "amount_minor"]

S = SettlementLine
P = LedgerPosting
# The lines to book and whether their transaction's money is booked already (a capture, a recovery).
# The postings' ids are handed out in the plan, so that no later step has to look a posting up.
PLAN = Table("recoup_settlement_plan", MetaData(), Column("line_id", BigInteger, primary_key=True),
             Column("posting_id", BigInteger, nullable=False), Column("claimed", Boolean, nullable=False),
             prefixes=["TEMPORARY"])


@dataclass(frozen=True)
class Lines:
    """Which settlement lines to book: those of one import (ids above `after_id`), or the given ids."""

    import_id: int | None = None
    after_id: int = 0
    ids: Sequence[int] = ()

    def where(self) -> ColumnElement[bool]:
        if self.import_id is not None:
            return and_(S.id > self.after_id, S.import_id == self.import_id)
        return S.id.in_(self.ids) if self.ids else false()


def book_settlement(session: Session, lines: Lines) -> int:
    """Post every eligible line not booked yet; returns how many were newly posted."""
    exclusive(session)
    session.flush()
    _refuse_what_the_rules_refuse(session, lines)
    connection = session.connection()  # Core statements: nothing here goes through the ORM
    PLAN.create(connection)
    try:
        return _book_planned(session, connection, lines)
    finally:
        _drop_plan(connection)


def _book_planned(session: Session, connection: Connection, lines: Lines) -> int:
    dialect = connection.dialect.name
    planned = connection.execute(_plan(connection, lines).execution_options(preserve_rowcount=True)).rowcount
    if planned:
        if dialect == "postgresql" and planned >= ANALYZE_AFTER_ROWS:  # a temporary table has no statistics
            connection.exec_driver_sql(f"ANALYZE {PLAN.name}")
        connection.execute(_postings(dialect, lines))
        for side in _sides(lines):  # the first line of every posting, then the second, then the third
            connection.execute(insert(LedgerEntry).from_select(ENTRY_COLUMNS, side.order_by(PLAN.c.line_id)))
        connection.execute(_balances(session, lines))
    return int(planned)


def _drop_plan(connection: Connection) -> None:
    """Drop the plan whatever happened, so that the transaction can book again. Not after a failed
    statement on PostgreSQL: that transaction can only roll back, which drops the table anyway."""
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        if raw is not None and raw.info.transaction_status == TransactionStatus.INERROR:
            return
    PLAN.drop(connection)


def book_settlement_lines(session: Session, lines: Sequence[SettlementLine]) -> int:
    """`book_settlement` for lines already loaded (a handful, usually)."""
    ids = [line.id for line in lines]
    return sum(book_settlement(session, Lines(ids=ids[start:start + IDS_PER_QUERY]))
               for start in range(0, len(ids), IDS_PER_QUERY))


def _refuse_what_the_rules_refuse(session: Session, lines: Lines) -> None:
    """A line the posting templates refuse fails the whole booking, with the templates' own message."""
    bad_sale = session.execute(select(S).where(lines.where(), _is_sale(), or_(
        S.amount_minor <= 0, S.fee_minor < 0, S.fee_minor > S.amount_minor)).order_by(S.id).limit(1)).scalar()
    if bad_sale is not None:
        rules.settlement_cleared(bad_sale.merchant_id, bad_sale.amount_minor, bad_sale.fee_minor, bad_sale.currency)
    for currency in session.execute(select(S.currency).where(lines.where()).distinct()).scalars():
        exponent_of(currency)


def _txn_key(dialect: str) -> ColumnElement[str]:
    """`service.txn_key` in SQL: terminal:rrn:type. On PostgreSQL the codes compare byte for byte
    (collation "C") and the posting's key by the default collation: only a comparison in the latter
    can use the key's index."""
    key = S.terminal_id + ":" + S.rrn + ":" + S.txn_type
    return collate(key.self_group(), "default") if dialect == "postgresql" else key


def _reference() -> ColumnElement[str]:
    return literal(REFERENCE_PREFIX, String) + cast(S.id, String)


def _is_sale() -> ColumnElement[bool]:
    return S.txn_type.in_(SALE_TYPES)


def _postings_sequence(connection: Connection) -> ColumnElement[int]:
    """The next id of the postings' sequence, its name looked up once: `nextval(pg_get_serial_sequence(...))`
    looked it up in the catalog for every row (half the plan's time)."""
    name = connection.execute(select(func.pg_get_serial_sequence(P.__tablename__, "id"))).scalar_one()
    quoted = String().literal_processor(connection.dialect)(name)  # type: ignore[no-untyped-call]
    return func.nextval(literal_column(f"{quoted}::regclass"))


def _plan(connection: Connection, lines: Lines) -> Insert:
    """Sales, and money going out unless another posting booked it (and only a positive net); not
    the lines booked already. Each gets its posting's id: the next of PostgreSQL's sequence, or on
    SQLite (which this transaction holds alone) the next after the highest."""
    dialect = connection.dialect.name
    other, booked = aliased(LedgerPosting), aliased(LedgerPosting)
    claimed = exists().where(other.tenant_id == S.tenant_id, other.txn_key == _txn_key(dialect),
                             ~other.kind.startswith(SETTLEMENT_KIND_PREFIX))
    already = exists().where(booked.tenant_id == S.tenant_id, booked.reference == _reference())
    money_out = and_(S.txn_type.in_(MONEY_OUT_TYPES), S.net_minor > 0, ~claimed)
    lines_to_book = (select(S.id.label("line_id"), claimed.label("claimed"))
                     .where(lines.where(), or_(_is_sale(), money_out), ~already).order_by(S.id).subquery())
    posting_id: ColumnElement[int]
    if dialect == "postgresql":
        posting_id = _postings_sequence(connection)
    else:
        highest = select(func.coalesce(func.max(P.id), 0)).scalar_subquery()
        posting_id = highest + func.row_number().over(order_by=lines_to_book.c.line_id)
    rows = select(lines_to_book.c.line_id, posting_id, lines_to_book.c.claimed)
    return insert(PLAN).from_select(["line_id", "posting_id", "claimed"], rows)


def _planned(lines: Lines) -> ColumnElement[bool]:
    """Join condition: a planned line. Repeating which lines were planned bounds either join order
    to them, so no planner can choose to read the whole settlement table."""
    return and_(S.id == PLAN.c.line_id, lines.where())


def _memo(dialect: str) -> ColumnElement[str]:
    settled: ColumnElement[str] = cast(S.settle_date, String)  # SQLite keeps dates as ISO text
    if dialect == "postgresql":
        settled = func.to_char(S.settle_date, "YYYY-MM-DD")
    return literal("settled ", String) + settled + literal(" rrn ", String) + S.rrn


def _postings(dialect: str, lines: Lines) -> Insert:
    kind = literal(SETTLEMENT_KIND_PREFIX, String) + func.lower(S.txn_type)
    rows = select(
        PLAN.c.posting_id, S.tenant_id, S.merchant_id, _reference(), kind, _txn_key(dialect), _memo(dialect),
        literal("system", String), literal(utcnow(), UTCDateTime()),
    ).select_from(PLAN).join(S, _planned(lines)).order_by(PLAN.c.line_id)
    columns = ["id", "tenant_id", "merchant_id", "reference", "kind", "txn_key", "memo", "posted_by", "posted_at"]
    return insert(LedgerPosting).from_select(columns, rows)


TemplateLine = tuple[ColumnElement[str], ColumnElement[int], ColumnElement[bool]]


def _template_lines() -> list[TemplateLine]:
    """(account, signed amount, when) of the first, second and third line of each posting, in the order
    `rules.settlement_cleared` and `rules.reversal(settled=True)` give them."""
    sale = _is_sale()
    source = case((PLAN.c.claimed, Account.PENDING_SETTLEMENT.value), else_=Account.ACQUIRER_CLEARING.value)
    available = literal(Account.AVAILABLE.value, String)
    first: TemplateLine = (case((sale, source), else_=Account.ACQUIRER_CLEARING.value),
                           case((sale, -S.amount_minor), else_=S.net_minor), true())
    second: TemplateLine = (available, case((sale, S.amount_minor - S.fee_minor), else_=-S.net_minor),
                            or_(~sale, S.amount_minor > S.fee_minor))
    third: TemplateLine = (literal(Account.FEES.value, String), S.fee_minor.expression, and_(sale, S.fee_minor != 0))
    return [first, second, third]


def _sides(lines: Lines) -> list[Select[tuple[int, int, str, str, str, int]]]:
    """The first, second and third line of every planned posting, as ENTRY_COLUMNS."""
    return [select(PLAN.c.posting_id, S.tenant_id, S.merchant_id, account.label("account"), S.currency,
                   amount.label("amount_minor")).select_from(PLAN).join(S, _planned(lines)).where(condition)
            for account, amount, condition in _template_lines()]


def _balances(session: Session, lines: Lines) -> Insert:
    """Every touched balance once, in key order (concurrent postings lock balance rows in the same
    order), summed from the same template lines as the entries."""
    entries = union_all(*_sides(lines)).subquery()
    key = (entries.c.tenant_id, entries.c.merchant_id, entries.c.account, entries.c.currency)
    rows = select(*key, func.sum(entries.c.amount_minor)).where(true()).group_by(*key).order_by(*key)
    statement = upsert_for(session)(LedgerBalance).from_select(
        ["tenant_id", "merchant_id", "account", "currency", "balance_minor"], rows)
    return statement.on_conflict_do_update(
        index_elements=["tenant_id", "merchant_id", "account", "currency"],
        set_={"balance_minor": LedgerBalance.balance_minor + statement.excluded.balance_minor})
