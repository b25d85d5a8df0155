"""SQL that turns a CSV text column into its normalised value and the reason it is bad (NULL when fine).

The loader reads every column as text in layers: `t_<name>` (trimmed, NULL when empty), the cleaned
card `p_card`, `p_<name>` (cheap preparation: canonical enums and currencies), `v_<name>` (parsed values) and
the output columns with one `load_error` listing every bad column. Each check puts the common,
valid case first so bad-row work (building reason texts) only runs on bad rows.

A `strict` parse is the cheap first read: `t_<name>` is the raw text (not trimmed) and only canonical
spellings pass (exact aliases and currency codes, no surrounding spaces). Whatever it accepts, the
lenient parse accepts with the same value; whatever it doubts goes to the lenient parse.
Reasons never quote a card or personal data; short values of amounts, times and enumerations are
quoted to help the user find them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from recoup.money import CURRENCY_EXPONENTS, NUMERIC_CODES
from recoup.transactions import cards
from recoup.transactions.enums import STATUS_ALIASES, TXN_TYPE_ALIASES, alias_case_sql
from recoup.transactions.pan_guard import REASON as CARD_NUMBER_REASON
from recoup.transactions.pan_guard import ColumnRule, has_card_id_sql, mask_pans_sql, rule_for, run_sql
from recoup.transactions.schema import MINOR_COLUMN, Field, FieldKind

ERROR_SEPARATOR = "\x1f"
_TIME_HEAD = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}"
# A date, or a date-time whose day is taken (never a date followed by anything at all).
_DATE_FORMAT = (r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
                r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?")
_MICROS_PER_MINUTE = 60_000_000
_LARGEST_EXPONENT = max(CURRENCY_EXPONENTS.values())
_SHORT_AMOUNT = 15 - _LARGEST_EXPONENT  # characters: digits * 1000 * scale stays below 10 ** 18
_GROUPED = r"\+?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?"  # digits grouped by thousands: '1,280.00'


@dataclass(frozen=True)
class Zones:
    """Where local times are: `name` is SQL for each row's IANA zone; `fixed_offset_minutes`, when
    every zone in play keeps one UTC offset, is SQL for that offset (then no calendar is needed)."""

    name: str
    fixed_offset_minutes: str | None = None


@dataclass(frozen=True)
class Shown:
    """The quoted value a field's reasons show (`shown_sql` of its text), computed once per row by the
    reasons pass: `prepared` holds the card-number run it masks with, `values` the quoted value under
    `column`, the name the field's `error` reads."""

    column: str
    prepared: dict[str, str]
    values: dict[str, str]


def shown_layer(name: str) -> Shown:
    """The shown layer of the field `name` (its text t_<name>): s_<name>, from the run p_<name>_shown_run."""
    run, column = f"p_{name}_shown_run", f"s_{name}"
    return Shown(column, {run: run_sql(f"t_{name}")}, {column: shown_sql(f"t_{name}", run)})


@dataclass(frozen=True)
class Parsed:
    """The layers of one field: preparation (p_), values (v_), when a present value is fine (`ok`,
    cheap, for the fast first pass) and why it is not (`error`, for reporting bad rows). `error` may
    quote the value: then it reads `shown.column`, and a query selecting `error` must add the `shown`
    layers (csv_sql does, in the reasons pass); `shown` is None when `error` quotes nothing."""

    prepared: dict[str, str]
    values: dict[str, str]
    error: str
    ok: str
    shown: Shown | None = None
    cleaned: dict[str, str] = dataclasses.field(default_factory=dict)  # a layer under `prepared` (read by it)


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def shown_sql(column: str, run: str | None = None) -> str:
    """The quoted, masked, shortened value of `column` (`run`: a column holding pan_guard.run_sql of it),
    for a reason text: a byte-order mark, invisible, is named; a card number, in whatever column it was
    typed, is masked (reasons go to the screen and to the reject file). A field's reasons read it from its
    shown layer (`shown_layer`), computed once per row: inlined in every reason, the mask repeated its
    card-number test each time, and DuckDB spent over a second planning the 170 kB of SQL that made."""
    return f"'''' || replace(left({mask_pans_sql(column, run)}, 32), chr(65279), '<BOM>') || ''''"


def currency_sql(text: str, *, strict: bool = False) -> str:
    """Canonical currency code: the exact code first (the usual case), then any case or numeric code
    (strict: exact alphabetic or numeric codes only)."""
    codes = {code: code for code in CURRENCY_EXPONENTS} | NUMERIC_CODES
    exact = " ".join(f"WHEN {quote(alias)} THEN {quote(code)}" for alias, code in codes.items())
    if strict:
        return f"CASE {text} {exact} ELSE NULL END"
    return f"CASE {text} {exact} ELSE CASE upper({text}) {exact} ELSE NULL END END"


def scale_sql(currency: str) -> str:
    """10 ** exponent of the currency, as BIGINT."""
    branches = " ".join(f"WHEN {quote(code)} THEN {10 ** exp}" for code, exp in CURRENCY_EXPONENTS.items())
    return f"CAST(CASE {currency} {branches} END AS BIGINT)"


def _when(condition: str, reason: str) -> str:
    return f"CASE WHEN {condition} THEN {reason} END"


def _unpadded(t: str) -> str:
    """No space around the text (the strict parse does not trim)."""
    return f"NOT ({t} LIKE ' %' OR {t} LIKE '% ')"


def pan_rule(field: Field) -> ColumnRule:
    """What a card number in this text column does (pan_guard.rule_for): masked, refused or left."""
    if field.kind not in (FieldKind.TEXT, FieldKind.CODE):
        return ColumnRule.EXEMPT
    return rule_for(field.name, field.length if field.length is not None else field.max_length)


def _text(field: Field, t: str, strict: bool) -> Parsed:
    parsed = _text_checks(field, t, strict)
    rule = pan_rule(field)
    if rule is ColumnRule.MASK:  # free text: a card number in it is masked on its way (v_<name> is stored)
        run = {f"p_{field.name}_pan_run": run_sql(t)}  # prepared once, read by the mask (pan_guard.run_sql)
        return Parsed(run, {f"v_{field.name}": mask_pans_sql(t, f"p_{field.name}_pan_run")}, parsed.error, parsed.ok)
    if rule is ColumnRule.REFUSE:  # an exact identifier: a card number in it refuses the row
        # No run prepared: the check's cheap tests decide nearly every row without it (pan_guard).
        card = has_card_id_sql(t)
        return Parsed({}, {}, f"CASE WHEN {card} THEN {quote(CARD_NUMBER_REASON)} ELSE {parsed.error} END",
                      f"{parsed.ok} AND NOT {card}")
    return parsed


def _text_checks(field: Field, t: str, strict: bool) -> Parsed:
    if field.length is not None:
        bad, reason = f"length({t}) <> {field.length}", f"'must be {field.length} characters, not ' || length({t})"
    else:
        bad = f"length({t}) > {field.max_length}"
        reason = f"'too long (' || length({t}) || ' characters, at most {field.max_length})'"
    if field.kind is FieldKind.CODE:
        return Parsed({}, {}, f"CASE WHEN {bad} THEN {reason} WHEN contains({t}, ' ') "
                              "THEN 'must not contain spaces' END", f"NOT ({bad} OR contains({t}, ' '))")
    ok = f"NOT ({bad}) AND {_unpadded(t)}" if strict else f"NOT ({bad})"
    return Parsed({}, {}, _when(bad, reason), ok)


def _digits(field: Field, t: str) -> Parsed:
    """Exactly `length` ASCII digits: a GLOB of character classes, cheaper than a regular expression."""
    good = f"({t} GLOB '{'[0-9]' * (field.length or 0)}')"
    return Parsed({}, {}, _when(f"NOT {good}", quote(f"must be {field.length} digits")), good)


def _currency(field: Field, t: str, strict: bool) -> Parsed:
    value, shown = f"p_{field.name}", shown_layer(field.name)
    error = _when(f"{value} IS NULL", f"'unknown currency ' || {shown.column}")
    return Parsed({value: currency_sql(t, strict=strict)}, {}, error, f"{value} IS NOT NULL", shown)


def _precision_ok(text: str, exponents: set[int]) -> str:
    """The amount text has at most the currency's decimals (trailing zeros aside)."""
    branches = " ".join(f"WHEN {10 ** exp} THEN regexp_full_match({text}, '[0-9]+(\\.[0-9]{{0,{exp}}}0*)?')"
                        for exp in sorted(exponents))
    return f"CASE p_scale {branches} END"


def _minor_sql(text: str) -> str:
    """Minor units of an amount text that has at most the currency's decimals. A short text (the usual
    case) is multiplied within 64-bit DECIMAL(18, 3), several times cheaper; a longer one in 128 bits."""
    amount = f"TRY_CAST({text} AS DECIMAL(18, 3))"
    scale = f"CAST(p_scale AS DECIMAL({_LARGEST_EXPONENT + 1}, 0))"
    return (f"CASE WHEN length({text}) <= {_SHORT_AMOUNT} THEN CAST({amount} * {scale} AS BIGINT) "
            f"ELSE CAST({amount} * p_scale AS BIGINT) END")


def _canonical_minor(t: str) -> str:
    """Minor units of an amount written exactly as DuckDB prints it with the currency's decimals
    ('583.07' in CNY, '1280' in JPY); NULL for any other spelling (the strict parse)."""
    branches = []
    for exponent in sorted(set(CURRENCY_EXPONENTS.values())):
        decimal = f"TRY_CAST({t} AS DECIMAL(18, {exponent}))"
        branches.append(f"WHEN {10 ** exponent} THEN CASE WHEN CAST({decimal} AS VARCHAR) = {t} "
                        f"THEN CAST({decimal} * {10 ** exponent} AS BIGINT) END")
    return f"CASE p_scale {' '.join(branches)} END"


def _amount(field: Field, t: str, *, zero_allowed: bool, strict: bool) -> Parsed:
    smallest = 0 if zero_allowed else 1
    value = f"v_{MINOR_COLUMN[field.name]}"
    if strict:  # a negative amount prints as such too: the sign check stays
        return Parsed({}, {value: _canonical_minor(t)}, "NULL", f"{value} >= {smallest}")
    text = f"p_{field.name}"
    # A comma is read only as a thousands separator ('1,280.00'): '128,00' is refused, never 12800.00.
    cleaned = (f"CASE WHEN contains({t}, ',') THEN CASE WHEN regexp_full_match({t}, '{_GROUPED}') "
               f"THEN replace(ltrim({t}, '+'), ',', '') ELSE {t} END "
               f"WHEN starts_with({t}, '+') THEN substr({t}, 2) ELSE {t} END")
    fits = _precision_ok(text, set(CURRENCY_EXPONENTS.values()))
    minor = f"CASE WHEN {fits} THEN {_minor_sql(text)} END"
    shown = shown_layer(field.name)
    checks = [
        (f"{value} >= {smallest}", "NULL"),  # the usual case, decided first
        ("p_currency IS NULL", "NULL"),  # the currency column carries the reason
        (f"starts_with({t}, '-')", f"'negative amount ' || {shown.column}"),
        (f"contains({text}, ',')", f"'a comma that is not a thousands separator: ' || {shown.column}"),
        (f"NOT regexp_full_match({text}, '[0-9]+(\\.[0-9]*)?')", f"'not an amount: ' || {shown.column}"),
        (f"NOT ({fits})", f"'more decimals than ' || p_currency || ' has: ' || {shown.column}"),
        (f"{value} IS NULL", f"'amount too large: ' || {shown.column}"),
    ]
    branches = " ".join(f"WHEN {condition} THEN {reason}" for condition, reason in checks)
    return Parsed({text: cleaned}, {value: minor},
                  f"CASE {branches} ELSE 'amount must be more than zero' END", checks[0][0], shown)


def _has_offset(t: str) -> str:
    """An ISO 8601 offset (Z, +08, +0800, +08:00) ends the text: a '+' anywhere, or a '-' after the
    minutes (position 17 on), or a final Z. Cheap string tests, no regular expression; the usual '+'
    decides alone (a CASE evaluates the other tests only on the rows left)."""
    others = f"right({t}, 1) IN ('Z', 'z') OR contains(substr({t}, 17), '-')"
    return f"(CASE WHEN contains({t}, '+') THEN true ELSE {others} END)"


def _looks_like_time(t: str) -> str:
    """YYYY-MM-DD, then T or a space, then hh:mm (the cast checks the digits and the calendar): one LIKE
    pattern for the usual 'T' decides most rows."""
    heads = [f"{t} LIKE '{'_' * 10}{separator}__:__%'" for separator in ("T", " ", "t")]
    return f"(CASE WHEN {heads[0]} THEN true ELSE {heads[1]} OR {heads[2]} END)"


def _suffix_ok(t: str) -> str:
    """After hh:mm only seconds, a fraction and an ISO 8601 offset (at most 14 hours) or Z: DuckDB would
    also read '+25:00' and zone names ('10:00:00 CST', ignored as a local time), which are refused.
    The usual '+08:00' costs a string search, not a regular expression."""
    plus_hours = f"substr({t}, strpos({t}, '+') + 1, 2) <= '14'"
    minus_at = f"strpos(substr({t}, 17), '-')"
    no_offset = f"CASE length({t}) WHEN 19 THEN true WHEN 16 THEN true " \
                f"ELSE regexp_full_match(substr({t}, 17), ':[0-9]{{2}}\\.[0-9]+') END"
    return (f"(CASE WHEN contains({t}, '+') THEN {plus_hours} "
            f"WHEN {minus_at} > 0 THEN substr({t}, 17 + {minus_at}, 2) <= '12' "
            f"WHEN right({t}, 1) = 'Z' THEN true ELSE {no_offset} END)")


def _time(field: Field, t: str, zones: Zones, strict: bool) -> Parsed:
    text = f"CASE WHEN contains({t}, ',') THEN replace({t}, ',', '.') ELSE {t} END"
    with_offset = f"TRY_CAST({text} AS TIMESTAMPTZ)"
    local = f"TRY_CAST({text} AS TIMESTAMP)"
    if zones.fixed_offset_minutes is not None:
        offset_us = f"(CAST({zones.fixed_offset_minutes} AS BIGINT) * {_MICROS_PER_MINUTE})"
        micros = f"CASE WHEN {_has_offset(t)} THEN epoch_us({with_offset}) ELSE epoch_us({local}) - {offset_us} END"
        values = {f"v_{field.name}": f"make_timestamp({micros})",
                  f"v_{field.name}_local": f"CAST(make_timestamp({micros} + {offset_us}) AS DATE)"}
    else:
        instant = f"CASE WHEN {_has_offset(t)} THEN {with_offset} ELSE timezone({zones.name}, {local}) END"
        values = {f"v_{field.name}": f"make_timestamp(epoch_us({instant}))",
                  f"v_{field.name}_local": f"CAST(timezone({zones.name}, {instant}) AS DATE)"}
    ok = f"v_{field.name} IS NOT NULL AND {_looks_like_time(t)} AND {_suffix_ok(t)}" \
        + (f" AND {_unpadded(t)}" if strict else "")
    shown = shown_layer(field.name)
    checks = (f"CASE WHEN {ok} THEN NULL WHEN NOT regexp_full_match(left({t}, 16), '{_TIME_HEAD}') "
              f"THEN 'not an ISO 8601 date-time: ' || {shown.column} "
              f"WHEN v_{field.name} IS NOT NULL THEN 'not an ISO 8601 date-time (seconds, then an offset "
              f"such as +08:00 or Z, or none): ' || {shown.column} "
              f"ELSE 'impossible date or time: ' || {shown.column} END")
    return Parsed({}, values, checks, ok, shown)


def _date(field: Field, t: str, strict: bool) -> Parsed:
    value, shown = f"v_{field.name}", shown_layer(field.name)
    if strict:  # only 'YYYY-MM-DD' exactly as DuckDB prints the date: a cast and a comparison, no pattern
        return Parsed({}, {value: f"TRY_CAST({t} AS DATE)"}, "NULL",
                      f"length({t}) = 10 AND CAST({value} AS VARCHAR) = {t}")
    ok = f"{value} IS NOT NULL AND regexp_full_match({t}, '{_DATE_FORMAT}')"
    checks = (f"CASE WHEN {ok} THEN NULL "
              f"WHEN NOT regexp_full_match({t}, '{_DATE_FORMAT}') THEN 'not an ISO 8601 date: ' || {shown.column} "
              f"ELSE 'impossible date: ' || {shown.column} END")
    return Parsed({}, {value: f"TRY_CAST(left({t}, 10) AS DATE)"}, checks, ok, shown)


def _enum(field: Field, t: str, aliases: dict[str, str], what: str, strict: bool) -> Parsed:
    value, shown = f"p_{field.name}", shown_layer(field.name)
    error = _when(f"{value} IS NULL", f"'unknown {what} ' || {shown.column}")
    if strict:  # exact aliases only: the lenient parse handles other spellings
        branches = " ".join(f"WHEN {quote(alias)} THEN {quote(canonical)}" for alias, canonical in aliases.items())
        return Parsed({value: f"CASE {t} {branches} ELSE NULL END"}, {}, error, f"{value} IS NOT NULL", shown)
    return Parsed({value: alias_case_sql(t, aliases)}, {}, error, f"{value} IS NOT NULL", shown)


def _card(t: str, card_key: bytes | None, run_tokens: bool, strict: bool) -> Parsed:
    # The cleaned card, p_card, is a layer of its own (Parsed.cleaned): inlined, it was computed ~8 times.
    cleaned = {"p_card": f"CASE WHEN contains({t}, ' ') OR contains({t}, '-') "
                         f"THEN replace(replace({t}, ' ', ''), '-', '') ELSE {t} END"}
    marked = "contains(p_card, 'x') OR contains(p_card, 'X')"
    if strict:  # one regular expression; of a card, a PAN is one without a mark ('*' decides most)
        card_like = "p_card_is_card"
        prepared = {card_like: f"length(p_card) BETWEEN 12 AND 19 AND regexp_full_match(p_card, "
                               f"'{cards.STRICT_CARD_PATTERN}')",
                    "p_card_is_pan": f"CASE WHEN contains(p_card, '*') THEN false ELSE NOT ({marked}) END"}
        masked_form = f"CASE WHEN {marked} THEN replace(replace(p_card, 'x', '*'), 'X', '*') ELSE p_card END"
    else:  # cheap tests first: a '*' rules out a PAN, a masked card holds '*', 'x' or 'X'
        card_like = "(p_card_is_pan OR p_card_is_masked)"
        may_be_masked = " OR ".join(f"contains(p_card, '{mark}')" for mark in "*xX")
        masked_ok = f"regexp_full_match(p_card, '{cards.MASKED_PATTERN}') AND length(p_card) BETWEEN 12 AND 19"
        prepared = {"p_card_is_pan": f"CASE WHEN contains(p_card, '*') THEN false "
                                     f"ELSE regexp_full_match(p_card, '{cards.PAN_PATTERN}') END",
                    "p_card_is_masked": f"CASE WHEN {may_be_masked} THEN {masked_ok} ELSE false END"}
        masked_form = "replace(replace(p_card, 'x', '*'), 'X', '*')"
    # Within one run only the equality of masked forms counts: 8 bytes instead of the text.
    wrap = (lambda sql: f"hash({sql})") if run_tokens else (lambda sql: sql)
    masked = (f"CASE WHEN p_card_is_pan THEN {wrap(cards.mask_sql('p_card'))} "
              f"WHEN {card_like} THEN {wrap(masked_form)} END")
    token = "CAST(NULL AS VARCHAR)"
    if card_key:
        hashed = (cards.run_token_sql if run_tokens else cards.token_sql)("p_card", card_key)
        token = f"CASE WHEN p_card_is_pan THEN {hashed} END"
    keyless = f"p_card_is_pan AND {'false' if card_key else 'true'}"
    error = (f"CASE WHEN NOT {card_like} THEN 'neither a card number nor a masked card' "
             f"WHEN {keyless} THEN 'a full card number, and no card key to token it' END")
    return Parsed(prepared, {"v_card_masked": masked, "v_card_token": token}, error,
                  f"{card_like} AND NOT ({keyless})", cleaned=cleaned)


def _timezone(field: Field, t: str) -> Parsed:
    bad, shown = f"{t} NOT IN (SELECT name FROM pg_timezone_names())", shown_layer(field.name)
    return Parsed({}, {}, _when(bad, f"'unknown time zone ' || {shown.column}"), f"NOT ({bad})", shown)


def parse_field(field: Field, card_key: bytes | None, zones: Zones, *, run_tokens: bool = False,
                strict: bool = False) -> Parsed:
    """The layers of one field, reading its layer-one text `t_<name>`; `run_tokens` tokens cards with
    the cheaper hash valid within one run only (see cards.run_token_sql); `strict` accepts only
    canonical, unpadded text (see the module docstring)."""
    t = f"t_{field.name}"
    kind = field.kind
    if kind in (FieldKind.TEXT, FieldKind.CODE):
        return _text(field, t, strict)
    if kind is FieldKind.DIGITS:
        return _digits(field, t)
    if kind is FieldKind.CURRENCY:
        return _currency(field, t, strict)
    if kind in (FieldKind.AMOUNT, FieldKind.AMOUNT_OR_ZERO):
        return _amount(field, t, zero_allowed=kind is FieldKind.AMOUNT_OR_ZERO, strict=strict)
    if kind is FieldKind.TIME:
        return _time(field, t, zones, strict)
    if kind is FieldKind.DATE:
        return _date(field, t, strict)
    if kind is FieldKind.TXN_TYPE:
        aliases = {alias: value for alias, value in TXN_TYPE_ALIASES.items() if value not in field.refused}
        return _enum(field, t, aliases, "transaction type", strict)
    if kind is FieldKind.STATUS:
        return _enum(field, t, STATUS_ALIASES, "status", strict)
    if kind is FieldKind.CARD:
        return _card(t, card_key, run_tokens, strict)
    return _timezone(field, t)


def output_columns(field: Field) -> dict[str, str]:
    """Output column -> SQL reading the earlier layers, for one field."""
    kind = field.kind
    if kind in (FieldKind.AMOUNT, FieldKind.AMOUNT_OR_ZERO):
        column = MINOR_COLUMN[field.name]
        return {column: f"v_{column}"}
    if kind is FieldKind.TIME:
        return {field.name: f"v_{field.name}", "local_date": f"v_{field.name}_local"}
    if kind is FieldKind.CARD:
        return {"card_masked": "v_card_masked", "card_token": "v_card_token"}
    if kind is FieldKind.DATE:
        return {field.name: f"v_{field.name}"}
    if kind in (FieldKind.CURRENCY, FieldKind.TXN_TYPE, FieldKind.STATUS):
        return {field.name: f"p_{field.name}"}
    if pan_rule(field) is ColumnRule.MASK:
        return {field.name: f"v_{field.name}"}
    return {field.name: f"t_{field.name}"}


def _required(field: Field) -> str:
    return "true" if field.mandatory else field.mandatory_when or "false"


def error_sql(field: Field, parsed: Parsed) -> str:
    """The reason a field is bad, prefixed by its column name, NULL when it is fine."""
    t = f"t_{field.name}"
    return (f"{quote(field.name + ': ')} || CASE WHEN {t} IS NOT NULL THEN {parsed.error} "
            f"WHEN {_required(field)} THEN 'missing value' END")


def ok_sql(field: Field, parsed: Parsed) -> str:
    """Whether the field is fine: present and valid, or absent where it may be. NULL counts as not fine
    (callers test it with CASE WHEN): plain AND/OR, which a filter decides with selection vectors, instead
    of a CASE (a split and a merge of the rows) and a coalesce for every field."""
    t = f"t_{field.name}"
    required = _required(field)
    if required == "true":
        return f"({t} IS NOT NULL AND {parsed.ok})"
    if required == "false":
        return f"({t} IS NULL OR {parsed.ok})"
    return f"CASE WHEN {t} IS NOT NULL THEN coalesce({parsed.ok}, false) ELSE NOT ({required}) END"
