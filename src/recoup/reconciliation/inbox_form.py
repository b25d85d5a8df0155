"""The findings page's filter form: what a person typed, read into a FindingFilter, each refusal kept for the
field it concerns (as an English msgid of the UI catalogue: the page shows it translated, next to the field).

Pure: no database, no clock. Amounts go through recoup.web.formatting.parse_amount ("2120", "2,120.00",
"2120元"); dates are YYYY-MM-DD (or YYYY/MM/DD, the same order); codes are checked against the enums, so a
kind typed in words never silently finds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from recoup.bounds import FIRST_DAY, LAST_DAY
from recoup.errors import InvalidInput
from recoup.reconciliation.causes import Cause
from recoup.reconciliation.findings import Kind
from recoup.reconciliation.inbox import DEFAULT_SORT, SORTS, FindingFilter
from recoup.web.formatting import parse_amount

# The form's fields, in the order of the page (the address keeps them, and the sort and page).
FIELDS = ("kind", "cause", "rrn", "last4", "terminal", "merchant", "date_from", "date_to",
          "min_charged", "max_charged", "min_at_stake", "max_at_stake")
KINDS = [kind.value for kind in Kind]
CAUSES = [cause.value for cause in Cause]

# Why a value was refused (English msgids of findings_list.po / messages.po).
DATE_FORMAT = "write the date as YYYY-MM-DD, e.g. 2026-11-20"
DATE_RANGE = f"a date from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}"
DATES_REVERSED = "the first day is after the last day"
AMOUNTS_REVERSED = "the smallest amount is above the largest"
LAST4_FORMAT = "the card's last four digits, e.g. 0218"
RRN_FORMAT = "the reference number: up to 12 digits"
TERMINAL_FORMAT = "the terminal number: up to 8 letters or digits"
CHOOSE_KIND = "choose a kind from the list"
CHOOSE_CAUSE = "choose a cause from the list"
PAGE_FORMAT = "a page number, e.g. 2"

_DAY = re.compile(r"^([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})$")
_RRN = re.compile(r"^[0-9]{1,12}$")
_TERMINAL = re.compile(r"^[0-9A-Za-z]{1,8}$")


@dataclass
class InboxForm:
    """The form as typed (kept on the page), the refusals by field, and the filter when nothing was refused."""

    typed: dict[str, str]
    sort: str = DEFAULT_SORT
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)
    wanted: FindingFilter = field(default_factory=FindingFilter)

    def query_string(self, **changes: object) -> str:
        """The page's address with these filters and some changed (paging, sorting and count links)."""
        values: dict[str, object] = {**self.typed, "sort": self.sort, "page": self.page, **changes}
        kept = {name: str(value) for name, value in values.items()
                if value not in ("", None) and not (name == "page" and value == 1)
                and not (name == "sort" and value == DEFAULT_SORT)}
        return "?" + urlencode(kept) if kept else ""


def _day(text: str) -> date:
    found = _DAY.match(text)
    if not found:
        raise InvalidInput(DATE_FORMAT)
    try:
        day = date(*(int(part) for part in found.groups()))
    except ValueError:
        raise InvalidInput(DATE_FORMAT) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(DATE_RANGE)
    return day


def _code(text: str, allowed: list[str], refusal: str) -> str:
    value = text.strip().upper()
    if value not in allowed:
        raise InvalidInput(refusal)
    return value


def _matching(pattern: re.Pattern[str], refusal: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        if not pattern.match(text):
            raise InvalidInput(refusal)
        return text
    return check


READERS: dict[str, Callable[[str], object]] = {
    "kind": lambda text: _code(text, KINDS, CHOOSE_KIND),
    "cause": lambda text: _code(text, CAUSES, CHOOSE_CAUSE),
    "rrn": _matching(_RRN, RRN_FORMAT),
    "last4": _matching(re.compile(r"^[0-9]{4}$"), LAST4_FORMAT),
    "terminal": _matching(_TERMINAL, TERMINAL_FORMAT),
    "merchant": str,
    "date_from": _day, "date_to": _day,
    "min_charged": lambda text: parse_amount(text, "CNY"), "max_charged": lambda text: parse_amount(text, "CNY"),
    "min_at_stake": lambda text: parse_amount(text, "CNY"), "max_at_stake": lambda text: parse_amount(text, "CNY"),
}


def read_form(typed: dict[str, str], sort: str = "", page: str = "") -> InboxForm:
    """The form's values read one by one: each refusal is kept for its field, the others still apply."""
    texts = {name: (typed.get(name) or "").strip() for name in FIELDS}
    form = InboxForm(texts, sort=sort if sort.lstrip("-") in SORTS else DEFAULT_SORT)
    page_text = page.strip()
    if page_text and not (page_text.isascii() and page_text.isdigit() and 0 < int(page_text) < 10**7):
        form.errors["page"] = PAGE_FORMAT
    elif page_text:
        form.page = int(page_text)
    values: dict[str, object] = {}
    for name, text in texts.items():
        if not text:
            continue
        try:
            values[name] = READERS[name](text)
        except InvalidInput as refused:
            form.errors[name] = refused.message
    _check_order(values, form.errors, ("date_from", "date_to", DATES_REVERSED),
                 ("min_charged", "max_charged", AMOUNTS_REVERSED), ("min_at_stake", "max_at_stake", AMOUNTS_REVERSED))
    form.wanted = _filter(values, form.sort)
    return form


def _check_order(values: dict[str, object], errors: dict[str, str], *pairs: tuple[str, str, str]) -> None:
    for low, high, refusal in pairs:
        first, last = values.get(low), values.get(high)
        if first is not None and last is not None and first > last:  # type: ignore[operator]
            errors[high] = refusal
            values.pop(high)


def _filter(values: dict[str, object], sort: str) -> FindingFilter:
    def text(name: str) -> str | None:
        value = values.get(name)
        return value if isinstance(value, str) else None

    def number(name: str) -> int | None:
        value = values.get(name)
        return value if isinstance(value, int) else None

    def day(name: str) -> date | None:
        value = values.get(name)
        return value if isinstance(value, date) else None

    return FindingFilter(kind=text("kind"), cause=text("cause"), rrn=text("rrn"), last4=text("last4"),
                         terminal_id=text("terminal"), merchant=text("merchant"), date_from=day("date_from"),
                         date_to=day("date_to"), min_minor=number("min_at_stake"), max_minor=number("max_at_stake"),
                         min_charged_minor=number("min_charged"), max_charged_minor=number("max_charged"), sort=sort)
