"""Import profiles (SPEC section 3, "Real statement files"): how one statement format maps onto a SPEC kind.

A profile is a small TOML document (docs/profiles.md). This module parses and checks it; it is pure
(no database, no web) and is used by the translator (translate.py), detection (detect.py), the CLI and
the pages. Every problem with a profile is a ProfileError naming the key at fault.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field

from recoup.errors import InvalidInput
from recoup.ingest.timeformats import TimeFormat, compile_format
from recoup.transactions.enums import STATUS_ALIASES, TXN_TYPE_ALIASES
from recoup.transactions.schema import KINDS, FieldKind

PROFILE_KINDS = ("orders", "journal", "settlement")
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{1,39}$")
AMOUNT_UNITS = ("yuan", "fen")
SIGN_RULES = ("positive", "negative_refunds")
MAPPED_KINDS = (FieldKind.TXN_TYPE, FieldKind.STATUS)


class ProfileError(InvalidInput):
    """A profile that cannot be used: says which profile and which key."""


@dataclass(frozen=True)
class FieldMap:
    """Where one SPEC field comes from: columns (names with aliases, or 1-based positions) or a constant."""

    target: str
    names: tuple[str, ...] = ()
    position: int | None = None
    value: str | None = None  # a constant for every row (e.g. currency = "CNY")
    time_format: TimeFormat | None = None  # dates and times of one column
    date_names: tuple[str, ...] = ()  # date and time in two columns
    time_names: tuple[str, ...] = ()
    values: dict[str, str] = field(default_factory=dict)  # value map (types, statuses)

    @property
    def two_columns(self) -> bool:
        return bool(self.date_names)

    def label(self) -> str:
        if self.two_columns:
            return f"{self.date_names[0]}+{self.time_names[0]}"
        if self.names:
            return self.names[0]
        return f"#{self.position}" if self.position else self.target


@dataclass(frozen=True)
class Profile:
    name: str
    kind: str
    title: str
    follows: str
    delimiter: str  # "," "|" "\t" or "xlsx"
    strip_prefix: str
    header_within: int
    summary_pattern: re.Pattern[str] | None
    summary_count: tuple[str, ...]
    summary_amount: tuple[str, ...]
    amount_unit: str
    sign: str
    fields: dict[str, FieldMap]
    source: str = ""  # the TOML text

    @property
    def required_targets(self) -> frozenset[str]:
        return frozenset(f.name for f in KINDS[self.kind].fields if f.mandatory or f.mandatory_when)

    @property
    def required_names(self) -> list[tuple[str, ...]]:
        """Column name groups (a name and its aliases) a file's header must hold for this profile."""
        groups: list[tuple[str, ...]] = []
        required = self.required_targets
        for target, mapping in self.fields.items():
            if target not in required:
                continue
            groups += [group for group in (mapping.names, mapping.date_names, mapping.time_names) if group]
        return groups

    @property
    def all_names(self) -> list[tuple[str, ...]]:
        return [group for m in self.fields.values() for group in (m.names, m.date_names, m.time_names) if group]


def _names(raw: object, where: str) -> tuple[str, ...]:
    if isinstance(raw, str):
        return (raw.strip(),)
    if isinstance(raw, list) and raw and all(isinstance(item, str) and item.strip() for item in raw):
        return tuple(item.strip() for item in raw)
    raise ProfileError(f"{where}: a column name or a list of names")


def _text(table: dict[str, object], key: str, default: str, where: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ProfileError(f"{where}.{key}: text expected")
    return value


def _value_map(target: str, raw: object, where: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise ProfileError(f"{where}.values: a table of file value = SPEC value")
    aliases = TXN_TYPE_ALIASES if target == "txn_type" else STATUS_ALIASES
    allowed = set(aliases.values())
    mapped = {}
    for key, value in raw.items():
        if not isinstance(value, str) or value.strip().upper() not in allowed:
            raise ProfileError(f"{where}.values.{key}: {value!r} is not one of {', '.join(sorted(allowed))}")
        mapped[str(key).strip()] = value.strip().upper()
    return mapped


def _field(kind: str, target: str, raw: object, where: str) -> FieldMap:
    spec_fields = {f.name: f for f in KINDS[kind].fields}
    if target not in spec_fields:
        raise ProfileError(f"{where}: unknown target field {target!r}; {kind} has "
                           f"{', '.join(spec_fields)}")
    if isinstance(raw, (str, list)):
        raw = {"names": raw}
    if not isinstance(raw, dict):
        raise ProfileError(f"{where}: a column name, a list of names or a table")
    spec = spec_fields[target]
    time_format = None
    date_names: tuple[str, ...] = ()
    time_names: tuple[str, ...] = ()
    if "date" in raw or "time" in raw:
        date_names, time_names = _names(raw.get("date"), f"{where}.date"), _names(raw.get("time"), f"{where}.time")
        time_format = compile_format(_text(raw, "date_format", "yyyy-MM-dd", where) + " "
                                     + _text(raw, "time_format", "HH:mm:ss", where), f"{where}.date_format/time_format")
    elif "format" in raw:
        if spec.kind not in (FieldKind.TIME, FieldKind.DATE):
            raise ProfileError(f"{where}.format: {target} is not a date or a time")
        time_format = compile_format(_text(raw, "format", "", where), f"{where}.format")
    names = _names(raw["names"], f"{where}.names") if "names" in raw else ()
    position = raw.get("position")
    if position is not None and (not isinstance(position, int) or position < 1):
        raise ProfileError(f"{where}.position: a column number from 1")
    value = raw.get("value")
    if value is not None and not isinstance(value, str):
        raise ProfileError(f"{where}.value: text expected")
    if not (names or date_names or position or value):
        raise ProfileError(f"{where}: maps {target} to nothing (give names, position, date/time or value)")
    values = _value_map(target, raw["values"], where) if "values" in raw else {}
    if values and spec.kind not in MAPPED_KINDS:
        raise ProfileError(f"{where}.values: only txn_type and status take a value map")
    return FieldMap(target, names, position, value, time_format, date_names, time_names, values)


def _fields(kind: str, raw: object) -> dict[str, FieldMap]:
    if not isinstance(raw, dict) or not raw:
        raise ProfileError("[columns]: the table mapping SPEC fields to the file's columns is missing")
    fields = {target: _field(kind, target, spec, f"columns.{target}") for target, spec in raw.items()}
    missing = [f.name for f in KINDS[kind].fields if (f.mandatory or f.mandatory_when) and f.name not in fields]
    if missing:
        raise ProfileError(f"[columns]: required field(s) of {kind} mapped to nothing: {', '.join(missing)}")
    return fields


def _summary(raw: object) -> tuple[re.Pattern[str] | None, tuple[str, ...], tuple[str, ...]]:
    if raw is None:
        return None, (), ()
    if not isinstance(raw, dict) or not isinstance(raw.get("pattern"), str):
        raise ProfileError("[summary]: needs pattern = a regular expression of the first summary line")
    try:
        pattern = re.compile(raw["pattern"])
    except re.error as error:
        raise ProfileError(f"summary.pattern: not a regular expression ({error})") from None
    count = _names(raw["count"], "summary.count") if "count" in raw else ()
    amount = _names(raw["amount"], "summary.amount") if "amount" in raw else ()
    return pattern, count, amount


def _format(raw: object) -> dict[str, object]:
    if not isinstance(raw, dict):
        raise ProfileError("[format]: the table saying how the file is laid out is missing")
    delimiter = raw.get("delimiter", ",")
    if delimiter not in (",", "|", "\t", ";", "xlsx"):
        raise ProfileError(f"format.delimiter: {delimiter!r} is not one of ',', '|', '\\t', ';' or 'xlsx'")
    within = raw.get("header_within", 10)
    if not isinstance(within, int) or not 1 <= within <= 50:
        raise ProfileError("format.header_within: a number of lines from 1 to 50")
    return {"delimiter": delimiter, "strip_prefix": _text(raw, "strip_prefix", "", "format"),
            "header_within": within}


def _choice(raw: dict[str, object], key: str, choices: tuple[str, ...], where: str) -> str:
    value = raw.get(key, choices[0])
    if value not in choices:
        raise ProfileError(f"{where}.{key}: {value!r} is not one of {', '.join(choices)}")
    return str(value)


def parse_profile(text: str, origin: str = "profile") -> Profile:
    """The profile in `text` (TOML); ProfileError naming `origin` and the key at fault."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"{origin}: not valid TOML ({error})") from None
    try:
        return _profile(raw, text)
    except InvalidInput as error:  # ProfileError, or a date format's own refusal
        raise ProfileError(f"{origin}: {error.message}") from None


def _profile(raw: dict[str, object], text: str) -> Profile:
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ProfileError("name: 2 to 40 lower-case letters, digits, - or _")
    kind = raw.get("kind")
    if kind not in PROFILE_KINDS:
        raise ProfileError(f"kind: one of {', '.join(PROFILE_KINDS)}")
    layout = _format(raw.get("format"))
    amounts = raw.get("amounts", {})
    if not isinstance(amounts, dict):
        raise ProfileError("[amounts]: a table (unit, sign)")
    pattern, count, amount = _summary(raw.get("summary"))
    fields = _fields(str(kind), raw.get("columns"))
    _check_value_maps(fields)
    return Profile(name, str(kind), _text(raw, "title", name, "profile"), _text(raw, "follows", "", "profile"),
                   str(layout["delimiter"]), str(layout["strip_prefix"]), int(str(layout["header_within"])),
                   pattern, count, amount, _choice(amounts, "unit", AMOUNT_UNITS, "amounts"),
                   _choice(amounts, "sign", SIGN_RULES, "amounts"), fields, text)


def _check_value_maps(fields: dict[str, FieldMap]) -> None:
    """A constant type or status must be a SPEC value."""
    for target, aliases in (("txn_type", TXN_TYPE_ALIASES), ("status", STATUS_ALIASES)):
        mapping = fields.get(target)
        if mapping and mapping.value and mapping.value.upper() not in set(aliases.values()):
            raise ProfileError(f"columns.{target}.value: {mapping.value!r} is not a {target}")
