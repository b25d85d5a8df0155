"""Transaction search (SPEC section 2, step 2): filters read from text, applied to a scoped query.

The same filters serve `recoup search`, `GET /api/v1/transactions` and the search page. A receipt
or a memory ("about 1,200 yuan, Tuesday afternoon") is enough: every filter combines with the others.
A bare date is the merchant's own day (each line's `local_date`); a merchant is named by its id or a
part of its name; results sort by any column a page shows (SORTS).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, String, literal, select

from recoup.auth.principal import Principal
from recoup.bounds import check_day, is_ascii_digits
from recoup.errors import InvalidInput
from recoup.merchants.models import Merchant
from recoup.money import parse_minor
from recoup.transactions.enums import parse_status, parse_txn_type
from recoup.transactions.models import JournalLine, Order, SettlementLine
from recoup.transactions.repository import scoped_journal, scoped_orders, scoped_settlement

SOURCES = ("journal", "settlement", "orders")
# Which filters each source can answer; asking another is an error, not a silent no-op.
APPLIES: dict[str, frozenset[str]] = {
    "journal": frozenset({"order_no", "rrn", "stan", "amount", "time", "last4", "terminal", "merchant", "cashier",
                          "auth_code", "status", "txn_type", "flagged"}),
    "settlement": frozenset({"order_no", "rrn", "stan", "amount", "time", "last4", "terminal", "merchant",
                             "txn_type"}),
    "orders": frozenset({"order_no", "amount", "time", "terminal", "merchant", "cashier"}),
}
_CODE = re.compile(r"[0-9A-Za-z_\-]{1,64}")
_NAME_PART = re.compile(r"[^\x00-\x1f\x7f%_\\]{1,64}")  # a part of a merchant's name: no control or LIKE characters
# The search form's fields, as the page, the API's query parameters and the CLI's options name them, and the
# longest text each may hold.
FIELD_LIMITS: dict[str, int] = {
    "order_no": 64, "rrn": 64, "stan": 64, "amount": 32, "min": 32, "max": 32, "from": 40, "to": 40, "last4": 64,
    "terminal": 64, "merchant": 64, "cashier": 64, "auth_code": 64, "status": 64, "type": 32, "flagged": 8, "in": 20,
}
_YES, _NO = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class SearchFilters:
    source: str = "journal"
    order_no: str | None = None
    rrn: str | None = None
    stan: str | None = None
    amount_min: int | None = None  # minor units, inclusive
    amount_max: int | None = None
    time_from: datetime | None = None  # inclusive
    time_until: datetime | None = None  # exclusive
    day_from: date | None = None  # the merchant's local days, inclusive (a bare date as "from"/"to")
    day_to: date | None = None
    last4: str | None = None
    terminal: str | None = None
    merchant: str | None = None
    cashier: str | None = None
    auth_code: str | None = None
    status: str | None = None
    txn_type: str | None = None
    flagged: bool | None = None

    def asked(self) -> set[str]:
        names = {f.name for f in fields(self) if f.name != "source" and getattr(self, f.name) is not None}
        renamed = {"amount_min": "amount", "amount_max": "amount", "time_from": "time", "time_until": "time",
                   "day_from": "time", "day_to": "time"}
        return {renamed.get(name, name) for name in names}


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {name!r}") from None


def parse_moment(text: str, zone: str, *, end: bool = False) -> datetime:
    """An ISO date or date-time; without an offset it is local time. A bare date as an end means its
    whole day (the result is then the next midnight, exclusive)."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = check_day("date", date.fromisoformat(value))  # bounded before "+ 1 day" (9999-12-31)
            moment = datetime.combine(day + timedelta(days=1) if end else day, time(), _zone(zone))
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            check_day("date", moment.date())
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=_zone(zone))
            if end:
                moment += timedelta(microseconds=1)
    except ValueError:
        raise InvalidInput(f"not an ISO 8601 date or date-time: {text!r}") from None
    return moment


def _moment(text: str | None, zone: str, *, end: bool) -> datetime | None:
    return parse_moment(text, zone, end=end) if text and not _is_day(text) else None


def _is_day(text: str) -> bool:
    return len(text.strip()) == 10


def _day(text: str | None) -> date | None:
    """A bare date: the merchant's own day (a date-time is a moment, read by _moment)."""
    if not text or not _is_day(text):
        return None
    try:
        return check_day("date", date.fromisoformat(text.strip()))
    except ValueError:
        raise InvalidInput(f"not an ISO 8601 date or date-time: {text!r}") from None


def _merchant(value: str | None) -> str | None:
    """A merchant's id, or a part of its name ("星巴克")."""
    if value is not None and not (_CODE.fullmatch(value) or _NAME_PART.fullmatch(value)):
        raise InvalidInput(f"merchant: its number or a part of its name, not {value[:20]!r}")
    return value


def _code(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    if not _CODE.fullmatch(value):
        raise InvalidInput(f"{name}: letters, digits, '-' or '_' only (at most 64), not {value[:20]!r}")
    return value


def _digits(name: str, value: str | None, length: int) -> str | None:
    if value is None:
        return None
    if not is_ascii_digits(value) or len(value) > length:
        raise InvalidInput(f"{name}: up to {length} digits, not {value[:20]!r}")
    return value.zfill(length)


def _last4(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[0-9]{4}", value):
        raise InvalidInput(f"last4: four digits, not {value[:20]!r}")
    return value


def _flag(value: str | None) -> bool | None:
    if value is None:
        return None
    if value.lower() in _YES:
        return True
    if value.lower() in _NO:
        return False
    raise InvalidInput(f"flagged: true or false, not {value[:20]!r}")


def _amounts(texts: Mapping[str, str | None], currency: str) -> tuple[int | None, int | None]:
    exact, low, high = (texts["amount"], texts["min"], texts["max"])
    if exact and (low or high):
        raise InvalidInput("give either an exact amount or a range (min/max), not both")
    if exact:
        minor = parse_minor(exact, currency)
        return minor, minor
    return (parse_minor(low, currency) if low else None, parse_minor(high, currency) if high else None)


def _status(text: str | None) -> str | None:
    parsed = parse_status(text) if text else None
    if text and parsed is None:
        raise InvalidInput(f"unknown status {text!r}")
    return parsed.value if parsed else None


def _txn_type(text: str | None) -> str | None:
    parsed = parse_txn_type(text) if text else None
    if text and parsed is None:
        raise InvalidInput(f"unknown transaction type {text!r}")
    return parsed.value if parsed else None


def form_texts(values: Mapping[str, str | None]) -> dict[str, str | None]:
    """Each field of the search form as typed, trimmed; None where empty or not given."""
    return {name: (values.get(name) or "").strip() or None for name in FIELD_LIMITS}


def _within_limits(texts: Mapping[str, str | None]) -> None:
    for name, text in texts.items():
        if text is not None and len(text) > FIELD_LIMITS[name]:
            raise InvalidInput(f"{name}: at most {FIELD_LIMITS[name]} characters")


def build_filters(values: Mapping[str, str | None], *, default_timezone: str, currency: str = "CNY") -> SearchFilters:
    """Filters from the search form's texts (page fields, query parameters, CLI options), by the names of
    FIELD_LIMITS; the one place that checks them, so every way in refuses a bad value with the same message."""
    texts = form_texts(values)
    _within_limits(texts)
    source = (texts["in"] or "journal").lower()
    if source not in SOURCES:
        raise InvalidInput(f"search in one of {', '.join(SOURCES)}, not {source!r}")
    low, high = _amounts(texts, currency)
    filters = SearchFilters(
        source=source, order_no=_code("order number", texts["order_no"]), rrn=_code("rrn", texts["rrn"]),
        stan=_digits("stan", texts["stan"], 6), amount_min=low, amount_max=high,
        time_from=_moment(texts["from"], default_timezone, end=False),
        time_until=_moment(texts["to"], default_timezone, end=True),
        day_from=_day(texts["from"]), day_to=_day(texts["to"]),
        last4=_last4(texts["last4"]), terminal=_code("terminal", texts["terminal"]),
        merchant=_merchant(texts["merchant"]), cashier=_code("cashier", texts["cashier"]),
        auth_code=_code("auth code", texts["auth_code"]), status=_status(texts["status"]),
        txn_type=_txn_type(texts["type"]), flagged=_flag(texts["flagged"]),
    )
    wrong = sorted(filters.asked() - APPLIES[source])
    if wrong:
        raise InvalidInput(f"{', '.join(wrong)} cannot be searched in {source}")
    return filters


# Filter -> column compared for equality; APPLIES says which filters a source answers.
_EQUALS = {"order_no": "order_no", "rrn": "rrn", "stan": "stan", "last4": "card_last4", "terminal": "terminal_id",
           "cashier": "cashier_id", "auth_code": "auth_code", "status": "status", "txn_type": "txn_type"}
_MODELS: dict[str, Any] = {"journal": JournalLine, "settlement": SettlementLine, "orders": Order}
_SCOPED = {"journal": scoped_journal, "settlement": scoped_settlement, "orders": scoped_orders}
_TIME_COLUMN = {"journal": "txn_time", "settlement": "txn_time", "orders": "created_at"}
_AMOUNT_COLUMN = {"journal": "amount_minor", "settlement": "amount_minor", "orders": "expected_minor"}
# The columns a list may be sorted by (?sort=amount, ?sort=-amount the other way), per source.
_COMMON_SORTS = {"merchant": "merchant_id", "terminal": "terminal_id", "order_no": "order_no"}
SORTS: dict[str, dict[str, str]] = {
    "journal": {**_COMMON_SORTS, "time": "txn_time", "amount": "amount_minor", "rrn": "rrn", "stan": "stan",
                "type": "txn_type", "status": "status", "card": "card_last4", "cashier": "cashier_id"},
    "settlement": {**_COMMON_SORTS, "time": "txn_time", "settled": "settle_date", "amount": "amount_minor",
                   "rrn": "rrn", "type": "txn_type", "card": "card_last4", "mcc": "mcc"},
    "orders": {**_COMMON_SORTS, "time": "created_at", "amount": "expected_minor", "cashier": "cashier_id"},
}
# A local day D lies, in any time zone, between D 00:00 at UTC+14 and D+1 00:00 at UTC-12: the time index
# narrows to that window, the local date decides.
_EARLIEST_OFFSET, _LATEST_OFFSET = timedelta(hours=14), timedelta(hours=12)


def search_query(principal: Principal, filters: SearchFilters, *, newest_first: bool = False,
                 sort: str = "") -> Select[Any]:
    """The scoped query of `filters.source`, ordered by time (then id), or by `sort` (a key of SORTS,
    "-" first for descending) when it names a column of the source."""
    source = filters.source
    model = _MODELS[source]
    query: Select[Any] = _SCOPED[source](principal)
    for name, column in _EQUALS.items():
        value = getattr(filters, name)
        if value is not None and name in APPLIES[source]:
            query = query.where(getattr(model, column) == value)
    if filters.merchant is not None:
        query = query.where(_merchant_named(model, principal, filters.merchant))
    moment, amount = getattr(model, _TIME_COLUMN[source]), getattr(model, _AMOUNT_COLUMN[source])
    if filters.amount_min is not None:
        query = query.where(amount >= filters.amount_min)
    if filters.amount_max is not None:
        query = query.where(amount <= filters.amount_max)
    query = _within_time(query, model, moment, filters)
    if filters.flagged is not None and source == "journal":
        query = query.where(JournalLine.flagged_stopped.is_(filters.flagged))
    column_name = SORTS[source].get(sort.lstrip("-"))
    if column_name is not None:
        descending = sort.startswith("-")
        order = (getattr(model, column_name), model.id)
        return query.order_by(*(column.desc() if descending else column.asc() for column in order))
    order = (moment, model.id)
    return query.order_by(*(column.desc() for column in order) if newest_first else order)


def _merchant_named(model: Any, principal: Principal, text: str) -> Any:
    """The merchant with this id, or those of the caller's tenant whose name holds the text. One IN over
    the few merchant ids, never `id = text OR id IN (names)`: an OR keeps PostgreSQL off the merchant-and-time
    index (a seq scan of 10 million lines, 4.7 s, instead of 10 ms: bench/import_search.py)."""
    names = select(Merchant.merchant_id).where(Merchant.tenant_id == principal.tenant_id,
                                               Merchant.name.contains(text, autoescape=True))
    return model.merchant_id.in_(select(literal(text, String)).union(names))


def _within_time(query: Select[Any], model: Any, moment: Any, filters: SearchFilters) -> Select[Any]:
    if filters.time_from is not None:
        query = query.where(moment >= filters.time_from)
    if filters.time_until is not None:
        query = query.where(moment < filters.time_until)
    if filters.day_from is not None:
        start = datetime.combine(filters.day_from, time(), UTC) - _EARLIEST_OFFSET
        query = query.where(model.local_date >= filters.day_from, moment >= start)
    if filters.day_to is not None:
        end = datetime.combine(filters.day_to + timedelta(days=1), time(), UTC) + _LATEST_OFFSET
        query = query.where(model.local_date <= filters.day_to, moment < end)
    return query
