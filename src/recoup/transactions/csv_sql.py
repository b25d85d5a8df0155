"""The load query of one CSV file: header handling, time zones and the layered SELECT."""

from __future__ import annotations

import csv
import secrets
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from recoup.errors import InvalidInput
from recoup.money import CURRENCY_EXPONENTS
from recoup.transactions import encoding as enc
from recoup.transactions.enums import Status, TxnType
from recoup.transactions.fields_sql import (
    ERROR_SEPARATOR,
    Zones,
    currency_sql,
    error_sql,
    ok_sql,
    output_columns,
    pan_rule,
    parse_field,
    quote,
    scale_sql,
)
from recoup.transactions.pan_guard import ColumnRule, mask_pans_sql, run_sql
from recoup.transactions.schema import CsvKind, Field, FieldKind
from recoup.transactions.zones import fixed_offset_minutes


@dataclass(frozen=True)
class Header:
    names: list[str]  # normalised header names by position; an empty name becomes "column_<n>"

    def position(self, name: str) -> int | None:
        return self.names.index(name) if name in self.names else None


def read_header(head: bytes, encoding: str, file_name: str) -> Header:
    text = enc.decode_header(head, enc.UTF8 if encoding == enc.UTF8_BOM else encoding, file_name)
    if not text.strip():
        raise InvalidInput(f"{file_name}: line 1: no header row")
    try:
        raw = [name.strip().lstrip("\ufeff").lower() for name in next(csv.reader([text]))]
    except csv.Error as error:
        raise InvalidInput(f"{file_name}: line 1: the header cannot be read ({error})") from None
    names = [name or f"column_{position + 1}" for position, name in enumerate(raw)]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InvalidInput(f"{file_name}: line 1: column {', '.join(repeated)} appears more than once")
    return Header(names)


def check_columns(kind: CsvKind, header: Header, file_name: str) -> None:
    missing = [name for name in kind.required_columns if header.position(name) is None]
    if missing:
        raise InvalidInput(f"{file_name}: line 1: missing required column(s): {', '.join(missing)}")


def zones_sql(timezones: Mapping[str, str], default: str) -> Zones:
    """SQL for each row's merchant time zone; a fixed offset when every zone in play keeps one."""
    by_zone: dict[str, list[str]] = {}
    for merchant_id, zone in sorted(timezones.items()):
        if zone and zone != default:
            by_zone.setdefault(zone, []).append(merchant_id)

    def per_merchant(value_of: Callable[[str], str]) -> str:
        branches = " ".join(f"WHEN t_merchant_id IN ({', '.join(map(quote, ids))}) THEN {value_of(zone)}"
                            for zone, ids in sorted(by_zone.items()))
        return f"CASE {branches} ELSE {value_of(default)} END" if branches else value_of(default)

    offsets = {zone: fixed_offset_minutes(zone) for zone in {default, *by_zone}}
    fixed = None
    if all(offset is not None for offset in offsets.values()):
        fixed = per_merchant(lambda zone: str(offsets[zone]))
    return Zones(per_merchant(quote), fixed)


def trimmed(column: str) -> str:
    """The value without surrounding spaces, NULL when empty; trims only the few values that need it."""
    return (f"CASE WHEN {column} LIKE ' %' OR {column} LIKE '% ' THEN nullif(trim({column}), '') "
            f"ELSE nullif({column}, '') END")


def read_csv_sql(path: Path, columns: int, rejects_table: str | None) -> str:
    """Every column as text; malformed lines go to `rejects_table`, or fail the read when it is None."""
    types = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(columns)) + "}"
    rejects = (f", store_rejects = true, rejects_table = '{rejects_table}', rejects_scan = '{rejects_table}_scan'"
               if rejects_table else "")
    return (f"read_csv({quote(str(path))}, header = true, columns = {types}, auto_detect = false, "
            f"delim = ',', quote = '\"', escape = '\"'{rejects})")


# Code columns as small ENUM types (load_csv `enum_codes`): one byte a row instead of the text, and
# they compare with text literals and each other exactly as the text does.
ENUM_TYPES: dict[FieldKind, tuple[str, tuple[str, ...]]] = {
    FieldKind.CURRENCY: ("recoup_currency", tuple(CURRENCY_EXPONENTS)),
    FieldKind.TXN_TYPE: ("recoup_txn_type", tuple(TxnType)),
    FieldKind.STATUS: ("recoup_status", tuple(Status)),
}


def enum_types_sql() -> list[str]:
    """CREATE TYPE statements for ENUM_TYPES (harmless when they exist)."""
    return [f"CREATE TYPE IF NOT EXISTS {name} AS ENUM ({', '.join(quote(value) for value in values)})"
            for name, values in ENUM_TYPES.values()]


# The switch-log import carries its card tokens in an extra column of this name, random per process: a
# user's CSV with a column called card_token is an ordinary extra column (masked as free text), so a
# 64-character value that hides a card number cannot pass for a token.
CARRIED_TOKEN_COLUMN = "card_token_" + secrets.token_hex(8)


def _masked_extra(name: str, text: str, run: str) -> str:
    """An unknown column is free text (card numbers masked), except the carried tokens of a switch log."""
    return text if name == CARRIED_TOKEN_COLUMN else mask_pans_sql(text, run)


PANS_MASKED = "pans_masked"  # output column: values of the row in which a card number was masked


@dataclass(frozen=True)
class LoadQuery:
    """What to read from one file and what to keep."""

    kind: CsvKind
    header: Header
    fields: tuple[Field, ...]
    extras: dict[str, str]  # header name -> extra_<position> (unknown columns kept aside)
    zones: Zones
    card_key: bytes | None
    keep: Collection[str] | None  # output columns to keep; None keeps all
    run_tokens: bool = False  # card tokens and masked cards as hashes valid within this run only (never stored)
    enum_codes: bool = False  # currency, txn_type and status as ENUM_TYPES

    def outputs(self) -> dict[str, str]:
        """Output column -> SQL, in schema order, then the extras (card numbers masked, as free text),
        then PANS_MASKED (how many values of the row had a card number masked)."""
        chosen = {name: self._typed(f, sql) for f in self.fields for name, sql in output_columns(f).items()
                  if self.keep is None or name in self.keep}
        chosen |= {column: f"v_{column}" for column in self.extras.values()}
        if self.keep is None or PANS_MASKED in self.keep:
            chosen[PANS_MASKED] = self._masked_count()
        return chosen

    def _masked_count(self) -> str:
        """Values whose masked form differs from the text read: a card number was masked in them."""
        texts = [f"t_{f.name}" for f in self.fields if pan_rule(f) is ColumnRule.MASK]
        texts += [f"t_{column}" for column in self.extras.values()]
        counted = [f"CAST(coalesce(v_{text[2:]} <> {text}, false) AS INTEGER)" for text in texts]
        return " + ".join(counted) if counted else "0"

    def _typed(self, field: Field, sql: str) -> str:
        if self.enum_codes and field.kind in ENUM_TYPES:
            return f"CAST({sql} AS {ENUM_TYPES[field.kind][0]})"
        return sql

    def sql(self, source: str, *, reasons: bool = True, strict: bool = False) -> str:
        """Layers: trimmed text (t_), cleaned text (Parsed.cleaned), preparation (p_), parsed values (v_),
        outputs + load_error.

        Without `reasons`, load_error only says 'bad' (cheaper); a caller finding any bad row
        reads the file again with reasons. `strict` is the cheap first read (fields_sql): raw text,
        canonical values only, load_error 'bad' for anything else."""
        layer1 = []
        for f in self.fields:
            position = self.header.position(f.name)
            text = f"c{position}" if strict else trimmed(f"c{position}")
            layer1.append(f"CAST(NULL AS VARCHAR) AS t_{f.name}" if position is None else f"{text} AS t_{f.name}")
        layer1 += [f"c{self.header.position(name)} AS t_{column}" for name, column in self.extras.items()]
        parsed = {f.name: parse_field(f, self.card_key, self.zones, run_tokens=self.run_tokens, strict=strict)
                  for f in self.fields}
        prepared = {name: sql for p in parsed.values() for name, sql in p.prepared.items()}
        if any(f.kind in (FieldKind.AMOUNT, FieldKind.AMOUNT_OR_ZERO) for f in self.fields):
            prepared["p_scale"] = scale_sql(currency_sql("t_currency", strict=strict))
        values = {name: sql for p in parsed.values() for name, sql in p.values.items()}
        for name, column in self.extras.items():  # unknown columns are free text: card numbers masked
            prepared[f"p_{column}_pan_run"] = run_sql(f"t_{column}")
            values[f"v_{column}"] = _masked_extra(name, f"t_{column}", f"p_{column}_pan_run")
        if reasons and not strict:  # the reasons read the quoted values of their fields' shown layers
            for shown in (p.shown for p in parsed.values() if p.shown is not None):
                prepared |= shown.prepared
                values |= shown.values
        selected = [f"{sql} AS {name}" for name, sql in self.outputs().items()]
        every_ok = " AND ".join(ok_sql(f, parsed[f.name]) for f in self.fields) or "true"
        keep = "true"
        if strict:  # no load_error column: a doubtful row stops the read at once
            keep = f"CASE WHEN {every_ok} THEN true ELSE error('a value the strict read doubts') END"
        elif reasons:
            errors = ", ".join(error_sql(f, parsed[f.name]) for f in self.fields)
            selected.append(f"nullif(concat_ws(chr({ord(ERROR_SEPARATOR)}), {errors}), '') AS load_error")
        else:
            selected.append(f"CASE WHEN {every_ok} THEN NULL ELSE 'bad' END AS load_error")

        def extend(items: dict[str, str]) -> str:
            return "".join(f", {sql} AS {name}" for name, sql in items.items())

        cleaned = {name: sql for p in parsed.values() for name, sql in p.cleaned.items()}
        text = f"(SELECT {', '.join(layer1)} FROM {source}) l1"
        if cleaned:  # computed once, under the preparation that reads it
            text = f"(SELECT *{extend(cleaned)} FROM {text}) l1c"
        return (f"SELECT {', '.join(selected)} FROM (SELECT *{extend(values)} FROM "
                f"(SELECT *{extend(prepared)} FROM {text}) l2) l3 WHERE {keep}")
