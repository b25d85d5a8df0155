"""The five CSV kinds of SPEC section 3: their columns, what each must hold, what it becomes.

A column is `required` when the header must name it; `mandatory` when each row must fill it.
Each kind names the columns that key a row (checked for duplicates) and whether it needs the
merchant time zone (kinds with local times).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from recoup.transactions.enums import DISPUTE_TYPES


class FieldKind(StrEnum):
    TEXT = "text"  # free text up to max_length
    CODE = "code"  # an identifier: exactly `length` characters, or up to max_length, no spaces
    DIGITS = "digits"  # exactly `length` digits
    AMOUNT = "amount"  # decimal string in major units, > 0 -> BIGINT minor units
    AMOUNT_OR_ZERO = "amount_or_zero"  # the same, zero allowed (fees)
    CURRENCY = "currency"  # ISO 4217 alphabetic (or numeric) code
    TIME = "time"  # ISO 8601 date-time; no offset = the merchant's local time
    DATE = "date"  # ISO 8601 date (a date-time is cut to its date)
    TXN_TYPE = "txn_type"
    STATUS = "status"
    CARD = "card"  # full PAN (masked + tokened) or masked form
    TIMEZONE = "timezone"  # IANA time zone name


@dataclass(frozen=True)
class Field:
    name: str
    kind: FieldKind
    required: bool = True
    mandatory: bool = True
    length: int | None = None
    max_length: int = 64
    mandatory_when: str | None = None  # SQL condition on canonical columns making the value mandatory
    personal: bool = False  # personal data: loaded only when asked
    refused: tuple[str, ...] = ()  # canonical values of an enumeration this kind never holds


@dataclass(frozen=True)
class CsvKind:
    name: str
    fields: tuple[Field, ...]
    key: tuple[str, ...] = ()  # columns that identify a row; a repeated key is a bad row
    local_times: bool = True

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(field.name for field in self.fields if field.required)

    def field(self, name: str) -> Field:
        return next(field for field in self.fields if field.name == name)


def _merchant_id() -> Field:
    return Field("merchant_id", FieldKind.CODE, length=15)


def _terminal_id(*, required: bool = True) -> Field:
    return Field("terminal_id", FieldKind.CODE, length=8, required=required, mandatory=required)


def _optional(name: str, kind: FieldKind, *, length: int | None = None, max_length: int = 64) -> Field:
    return Field(name, kind, required=False, mandatory=False, length=length, max_length=max_length)


MERCHANTS = CsvKind("merchants", (
    _merchant_id(),
    _optional("name", FieldKind.TEXT, max_length=128),
    Field("mcc", FieldKind.DIGITS, length=4),
    _optional("timezone", FieldKind.TIMEZONE),
    _optional("tenant", FieldKind.TEXT),
), key=("merchant_id",), local_times=False)

TERMINALS = CsvKind("terminals", (
    _terminal_id(),
    _merchant_id(),
    _optional("model", FieldKind.TEXT),
    _optional("serial", FieldKind.TEXT),
    _optional("firmware", FieldKind.TEXT),
    _optional("location", FieldKind.TEXT, max_length=128),
    _optional("installed_at", FieldKind.DATE),
    _optional("last_maintenance_at", FieldKind.DATE),
), key=("terminal_id",), local_times=False)

ORDERS = CsvKind("orders", (
    Field("order_no", FieldKind.CODE),
    _merchant_id(),
    _terminal_id(required=False),
    Field("created_at", FieldKind.TIME),
    Field("expected_amount", FieldKind.AMOUNT),
    Field("currency", FieldKind.CURRENCY),
    _optional("cashier_id", FieldKind.CODE, max_length=32),  # the stored column's width
    Field("customer_contact", FieldKind.TEXT, required=False, mandatory=False, max_length=128, personal=True),
), key=("merchant_id", "order_no"))

JOURNAL = CsvKind("journal", (
    _merchant_id(),
    _terminal_id(),
    Field("txn_time", FieldKind.TIME),
    Field("txn_type", FieldKind.TXN_TYPE, refused=DISPUTE_TYPES),  # chargebacks: settlement only
    Field("status", FieldKind.STATUS),
    Field("amount", FieldKind.AMOUNT),
    Field("currency", FieldKind.CURRENCY),
    Field("rrn", FieldKind.CODE, length=12, mandatory=False, mandatory_when="p_status = 'APPROVED'"),
    Field("stan", FieldKind.DIGITS, length=6, mandatory=False),
    _optional("auth_code", FieldKind.CODE, max_length=12),
    Field("card", FieldKind.CARD, mandatory=False),
    Field("order_no", FieldKind.CODE, mandatory=False),
    _optional("cashier_id", FieldKind.CODE, max_length=32),  # the stored column's width
    Field("orig_rrn", FieldKind.CODE, length=12, mandatory=False),
    _optional("batch_no", FieldKind.CODE, max_length=12),
))

SETTLEMENT = CsvKind("settlement", (
    Field("settle_date", FieldKind.DATE),
    _merchant_id(),
    _optional("merchant_name", FieldKind.TEXT, max_length=128),
    Field("mcc", FieldKind.DIGITS, length=4, mandatory=False),
    _terminal_id(),
    Field("txn_time", FieldKind.TIME),
    Field("txn_type", FieldKind.TXN_TYPE),
    Field("rrn", FieldKind.CODE, length=12),
    _optional("card", FieldKind.CARD),
    Field("amount", FieldKind.AMOUNT),
    _optional("fee", FieldKind.AMOUNT_OR_ZERO),
    _optional("net_amount", FieldKind.AMOUNT_OR_ZERO),
    Field("currency", FieldKind.CURRENCY),
    _optional("order_no", FieldKind.CODE),
    _optional("stan", FieldKind.DIGITS, length=6),  # not in SPEC; used to match lines without RRN
))

KINDS: dict[str, CsvKind] = {kind.name: kind for kind in (MERCHANTS, TERMINALS, ORDERS, JOURNAL, SETTLEMENT)}

# How an amount column is named once in minor units.
MINOR_COLUMN: dict[str, str] = {
    "amount": "amount_minor", "expected_amount": "expected_minor",
    "fee": "fee_minor", "net_amount": "net_minor",
}
