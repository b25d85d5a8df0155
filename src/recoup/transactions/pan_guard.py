"""Full card numbers (PANs) in free text: found, masked, or refused (SPEC section 9, "no full PAN
stored anywhere"; issue 10 defect 8).

A *card number* here is 13 to 19 digits passing the Luhn check, written straight or in groups
joined by single spaces or dashes ('4111 1111-1111 1111'), with no digit just before or after.
Within a run of groups every window of whole groups holding 13 to 19 digits is tried, so a card
written next to another number ('qty 2 4111 1111 1111 1111') is still found; a run of more than
19 digits without separators is a reference, not a card. Masking keeps the first six and the last
four digits ('411111******1111', separators dropped), as `cards.mask_pan` does.

Per column (`rule_for`): free text is masked before storage; an identifier that must stay exact
(it links sales to orders) is refused with REASON when it holds a number that is a card number
*and* starts like one (`ISSUER_PREFIX`: an identifier such as a hotel's 18-digit order number
'20260901…' is Luhn-valid one time in ten, and refusing those rows would lose real sales);
fixed-format identifiers too short to hold 13 digits, and the merchant id, are left alone.

The same rules are written twice: in Python (`find_pans`, `mask_pans`, for single values: forms,
API bodies, reject files) and as DuckDB SQL (`mask_pans_sql`, `has_card_id_sql`, for the bulk
import), and tests/transactions/test_pan_guard.py holds them equal. The SQL costs one regular
expression per value; the window and Luhn work runs only on values with 13 digits in a row.
This module imports neither FastAPI nor SQLAlchemy.
"""

from __future__ import annotations

import re
from enum import StrEnum

from recoup.transactions.cards import mask_pan

REASON = "looks like a full card number"
MIN_DIGITS, MAX_DIGITS = 13, 19
ISSUER_PREFIX = r"(?:220[0-4]|222[1-9]|22[3-9][0-9]|2[3-6][0-9]{2}|27[01][0-9]|2720|[3-6]|81[0-6][0-9]|817[01])"
_RUN = re.compile(r"[0-9]+(?:[ -][0-9]+)*")  # leftmost-longest: a run is never next to a digit
_GROUP = re.compile(r"[0-9]+[ -]?")
_CANDIDATE = r"[0-9](?:[ -]?[0-9]){12}"  # 13 digits with at most single separators: the cheap test
_CANDIDATE_RE = re.compile(_CANDIDATE)
_ISSUER_RE = re.compile(ISSUER_PREFIX)
_DOUBLED = "0246813579"  # Luhn: a doubled digit with its digits summed


class ColumnRule(StrEnum):
    MASK = "mask"  # free text: a card number in it is masked before storage
    REFUSE = "refuse"  # an exact identifier: a row holding a card number in it is rejected
    EXEMPT = "exempt"  # too short for a card number, or a registered identifier (see rule_for)


# Identifiers that must stay exact: order_no links sales to their orders (a masked one could link
# two orders that differ only in the middle digits), so a card number there refuses the row.
REFUSED_COLUMNS = frozenset({"order_no"})
# The merchant id is 15 digits by UnionPay's format and one in ten is Luhn-valid; it must name a
# registered merchant (or be a merchants-file row an admin imports), so it is left alone.
EXEMPT_COLUMNS = frozenset({"merchant_id"})


def rule_for(column: str, max_length: int | None) -> ColumnRule:
    """What to do with a card number in a text column. cashier_id is masked, not refused: it only
    describes a sale (nothing is matched on it), and refusing would lose the sale from reconciliation."""
    if column in EXEMPT_COLUMNS or (max_length is not None and max_length < MIN_DIGITS):
        return ColumnRule.EXEMPT
    return ColumnRule.REFUSE if column in REFUSED_COLUMNS else ColumnRule.MASK


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        total += int(_DOUBLED[digit]) if position % 2 else digit
    return total % 10 == 0


def _digits(window: str) -> str:
    return window.replace(" ", "").replace("-", "")


def _windows(run: str) -> list[str]:
    """Every stretch of whole groups of `run`, as written (without a trailing separator)."""
    groups = _GROUP.findall(run)
    found = []
    for first in range(len(groups)):
        for last in range(first, min(len(groups), first + MAX_DIGITS)):
            found.append("".join(groups[first:last + 1]).rstrip(" -"))
    return found


def _is_card(window: str) -> bool:
    digits = _digits(window)
    return MIN_DIGITS <= len(digits) <= MAX_DIGITS and luhn_ok(digits)


def find_pans(text: str) -> list[str]:
    """The card numbers in `text`, as written, longest first (then in text order of their spelling)."""
    if not _CANDIDATE_RE.search(text):
        return []
    runs = [run for run in _RUN.findall(text) if len(run) >= MIN_DIGITS]
    cards = [window for run in runs for window in _windows(run) if _is_card(window)]
    return sorted(cards, key=lambda window: (-len(window), window))


def has_pan(text: str) -> bool:
    return bool(find_pans(text))


def mask_pans(text: str) -> str:
    """`text` with every card number in it masked (first six, '*'s, last four)."""
    for window in find_pans(text):
        text = text.replace(window, mask_pan(_digits(window)))
    return text


def has_card_id(text: str) -> bool:
    """Whether an exact identifier holds a card number that also starts like one (see ISSUER_PREFIX)."""
    return any(_ISSUER_RE.match(_digits(window)) for window in find_pans(text))


# --- DuckDB SQL: the same rules, for the bulk pipeline ---------------------------------------------

def _digits_sql(window: str) -> str:
    return f"replace(replace({window}, ' ', ''), '-', '')"


def _luhn_sql(digits: str) -> str:
    """Luhn of a text of at most 19 digits, as integer arithmetic (several times faster than string
    functions): digit k from the right is (n // 10^k) % 10, and every second one is doubled. The number is
    a lambda's parameter, cast once: written into each of the 28 places that read it, it made a journal's
    load query 20,000 characters long instead of 15,500, and DuckDB planned it in 54 ms instead of 47 (each
    piece of a journal imported into PostgreSQL pays that planning)."""
    terms = []
    for power in range(MAX_DIGITS):
        digit = f"(pan_n // {10 ** power} % 10)"
        terms.append(f"(2 * {digit} - 9 * ({digit} // 5))" if power % 2 else digit)
    return f"list_transform([TRY_CAST({digits} AS UBIGINT)], lambda pan_n: ({' + '.join(terms)}) % 10 = 0)[1]"


def _windows_sql(run: str) -> str:
    groups = f"regexp_extract_all({run}, '{_GROUP.pattern}')"
    inner = (f"list_transform(range(pan_i, least(len(pan_g), pan_i + {MAX_DIGITS - 1}) + 1), "
             f"lambda pan_j: rtrim(array_to_string(pan_g[pan_i:pan_j], ''), ' -'))")
    every = f"flatten(list_transform(range(1, len(pan_g) + 1), lambda pan_i: {inner}))"
    return f"list_transform([{groups}], lambda pan_g: {every})[1]"  # binds the groups once, as pan_g


def _cards_sql(text: str) -> str:
    """SQL list of the card numbers in `text` as written, longest first (as `find_pans`)."""
    runs = f"list_filter(regexp_extract_all({text}, '{_RUN.pattern}'), lambda pan_r: length(pan_r) >= {MIN_DIGITS})"
    windows = f"flatten(list_transform({runs}, lambda pan_r: {_windows_sql('pan_r')}))"
    digits = _digits_sql("pan_w")
    cards = f"list_filter({windows}, lambda pan_w: length({digits}) BETWEEN {MIN_DIGITS} AND {MAX_DIGITS} " \
            f"AND {_luhn_sql(digits)})"
    ordered = f"list_sort(list_transform({cards}, lambda pan_w: {{'n': -length(pan_w), 'w': pan_w}}))"
    return f"list_transform({ordered}, lambda pan_s: pan_s.w)"


def candidate_sql(text: str) -> str:
    """The cheap test: 13 digits in a row (single separators allowed). False means no card number."""
    return f"regexp_matches({text}, '{_CANDIDATE}')"


def run_sql(text: str) -> str:
    """The preparation the two expressions below share (compute it once, in a layer of its own): ''
    when `text` cannot hold a card number (the usual case), its digits when they are one run of 13 or
    more with no other digit in the text (an order number, a reference: that run is the only window, so
    no list is built), NULL when it needs the general path."""
    one_run = f"regexp_extract({text}, '^[^0-9]*([0-9]{{{MIN_DIGITS},}})[^0-9]*$', 1)"
    return (f"CASE WHEN {text} IS NULL THEN '' "
            f"ELSE coalesce(nullif({one_run}, ''), CASE WHEN {candidate_sql(text)} THEN NULL ELSE '' END) END")


def _run_is_card_sql(run: str) -> str:
    return f"(length({run}) BETWEEN {MIN_DIGITS} AND {MAX_DIGITS} AND {_luhn_sql(run)})"


def _masked_sql(digits: str) -> str:
    return f"left({digits}, 6) || repeat('*', length({digits}) - 10) || right({digits}, 4)"


def mask_pans_sql(text: str, run: str | None = None) -> str:
    """DuckDB SQL for `mask_pans(text)` (NULL stays NULL); `run` names a column holding `run_sql(text)`."""
    run = run or f"({run_sql(text)})"
    one_run = f"CASE WHEN {_run_is_card_sql(run)} THEN replace({text}, {run}, {_masked_sql(run)}) ELSE {text} END"
    general = (f"list_reduce(list_prepend({text}, {_cards_sql(text)}), "
               f"lambda pan_acc, pan_w: replace(pan_acc, pan_w, {_masked_sql(_digits_sql('pan_w'))}))")
    return f"CASE WHEN {run} = '' THEN {text} WHEN {run} IS NOT NULL THEN {one_run} ELSE {general} END"


def _issuer_sql(digits: str) -> str:
    """Whether a text of digits starts like a card number (ISSUER_PREFIX), as comparisons of its first
    four characters instead of a regular expression (exact for digits: each alternative is a range)."""
    head = f"left({digits}, 4)"
    ranges = " OR ".join(f"{head} BETWEEN '{low}' AND '{high}'" for low, high in _ISSUER_RANGES)
    return f"({ranges})"


# ISSUER_PREFIX as ranges of the first four digits (tests/reconciliation/test_speed_cheap_checks.py and
# tests/transactions/test_pan_guard.py hold the SQL equal to the Python).
_ISSUER_RANGES = (("2200", "2204"), ("2221", "2299"), ("2300", "2720"), ("3000", "6999"), ("8100", "8171"))
# Where a card number starting like one can begin: not after a digit, its first two digits as ISSUER_PREFIX
# allows (a separator may stand between them). No match: no card id, whatever else the text holds.
_ISSUER_START = r"(?:^|[^0-9])(?:[3-6]|2[ -]?[2-7]|8[ -]?1)"


def has_card_id_sql(text: str, run: str | None = None) -> str:
    """DuckDB SQL for `has_card_id(text)` (false for NULL); `run` as for `mask_pans_sql`. Cheap tests
    first: a text shorter than 13 characters, or where no card number could start (most identifiers,
    such as order numbers beginning with a date), is decided without the run."""
    given = run or "pan_run"
    one_run = f"CASE WHEN {_issuer_sql(given)} THEN {_run_is_card_sql(given)} ELSE false END"
    starts_like_card = f"regexp_matches({_digits_sql('pan_w')}, '^{ISSUER_PREFIX}')"
    issuer = f"len(list_filter({_cards_sql(text)}, lambda pan_w: {starts_like_card})) > 0"
    decided = f"CASE WHEN {given} = '' THEN false WHEN {given} IS NOT NULL THEN {one_run} ELSE {issuer} END"
    if run is None:  # the run computed once, for the few rows the cheap tests leave
        decided = f"list_transform([{run_sql(text)}], lambda pan_run: {decided})[1]"
    # NULL first: without it an empty value fell through both cheap tests to the list work (at 2M journal lines
    # with 1.6% empty order numbers, half the cost of the whole test).
    return (f"coalesce(CASE WHEN {text} IS NULL OR length({text}) < {MIN_DIGITS} THEN false "
            f"WHEN NOT regexp_matches({text}, '{_ISSUER_START}') THEN false ELSE {decided} END, false)")
