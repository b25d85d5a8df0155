"""The transaction search page's form: what was typed, checked field by field, as filters or as errors.

`build_filters` (recoup.transactions.search) stays the one judge of a value; this module asks it about
each field alone, so a refusal is shown next to the field it concerns, in the user's language, with
what was typed kept in the form. Amounts are read as a person types them ("2120", "2,120.00", "2120元")
by recoup.web.formatting before the judge sees them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from recoup.errors import InvalidInput
from recoup.money import parse_minor
from recoup.transactions.enums import Status, TxnType
from recoup.transactions.search import APPLIES, FIELD_LIMITS, SORTS, SOURCES, SearchFilters, build_filters, form_texts
from recoup.web import formatting
from recoup.web.errors import page_message
from recoup.web.formatting import plain_amount
from recoup.web.i18n import normalise_locale, translate

DEFAULT_SORT = "-time"
AMOUNT_FIELDS = ("amount", "min", "max")
FIELDS = tuple(name for name in FIELD_LIMITS if name != "in")
# Form field -> the filter of search.APPLIES it sets.
FILTER_OF = {"min": "amount", "max": "amount", "from": "time", "to": "time", "type": "txn_type"}
# What to type instead, per field (English msgids of transactions_pages.po).
HINTS: dict[str, str] = {
    "order_no": "letters, digits, '-' or '_' only",
    "rrn": "the 12-character reference number on the slip, e.g. 101027739847",
    "stan": "up to six digits, e.g. 000123",
    "amount": "an amount such as 2120, 2,120.00 or 2120元",
    "min": "an amount such as 2120, 2,120.00 or 2120元",
    "max": "an amount such as 2120, 2,120.00 or 2120元",
    "from": "a date such as 2026-11-20",
    "to": "a date such as 2026-11-20",
    "last4": "the last four digits of the card, e.g. 0218",
    "terminal": "the terminal's number, e.g. 61027889",
    "merchant": "the merchant's number or a part of its name",
    "cashier": "letters, digits, '-' or '_' only",
    "auth_code": "letters, digits, '-' or '_' only",
    "status": "choose a status from the list",
    "type": "choose a type from the list",
    "flagged": "choose from the list",
    "in": "choose what to search in from the list",
}
NOT_IN_SOURCE = "not available when searching {source}"
SOURCE_WORDS = {"journal": "Terminal journal", "settlement": "Settlement", "orders": "Orders"}
BOTH_AMOUNTS = "give either the amount charged or a range, not both"
ENDS_BEFORE = "the end date is before the start date"
# recoup.web.formatting's refusals of a typed amount: msgids of the UI catalogue, shown as they are translated.
AMOUNT_REASONS = frozenset({formatting.AMOUNT_IN_WORDS, formatting.AMOUNT_DECIMAL_COMMA,
                            formatting.AMOUNT_NOT_UNDERSTOOD, formatting.AMOUNT_NEGATIVE, formatting.AMOUNT_TOO_LONG})
TYPES = [member.value for member in TxnType]
STATUSES = [member.value for member in Status]


@dataclass
class SearchForm:
    """The form as typed (kept in the page), the source searched, the errors by field and the filters."""

    typed: dict[str, str | None]
    source: str
    sort: str
    page: int
    errors: dict[str, str] = field(default_factory=dict)
    filters: SearchFilters | None = None

    def query_string(self, **changes: object) -> str:
        """The page's address with the same filters, some values changed (paging and sorting links)."""
        values: dict[str, object] = {**self.typed, "in": self.source, "sort": self.sort, "page": self.page,
                                     **changes}
        kept = {name: str(value) for name, value in values.items()
                if value not in (None, "") and not (name == "page" and value == 1)
                and not (name == "in" and value == "journal")}
        return "?" + urlencode(kept) if kept else ""

    def any_of(self, names: list[str]) -> bool:
        """Whether any of these fields was filled in or refused (a folded part of the form then opens)."""
        return any(self.typed.get(name) or name in self.errors for name in names)

    def next_sort(self, key: str) -> str:
        """A column header's sort: ascending first, descending when it is already ascending."""
        return "-" + key if self.sort == key else key


def _page_number(text: str) -> int:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 7 else 1


def read_search(values: Mapping[str, str | None], *, sort: str, page: str, default_timezone: str,
                locale: str) -> SearchForm:
    """The search form's fields (those of search.FIELD_LIMITS), checked: the filters, or an error by field."""
    typed = form_texts(values)
    source = (typed["in"] or "journal").lower()
    form = SearchForm(typed, source if source in SOURCES else "journal", DEFAULT_SORT, _page_number(page.strip()))
    if source not in SOURCES:
        form.errors["in"] = translate(locale, HINTS["in"])
    if sort.lstrip("-") in SORTS[form.source]:
        form.sort = sort
    plain = _plain_amounts(form, locale)
    for name in FIELDS:
        if plain[name] is not None and name not in form.errors:
            problem = _field_problem(name, plain[name], form.source, default_timezone)
            if problem:
                hint, detail = problem
                said = translate(locale, hint).format(source=translate(locale, SOURCE_WORDS[form.source]))
                form.errors[name] = _with_detail(said, detail, locale)
    if not form.errors:
        _combined(form, plain, default_timezone, locale)
    return form


def _plain_amounts(form: SearchForm, locale: str) -> dict[str, str | None]:
    """The texts with each amount as a plain decimal ("2,120元" -> "2120"); a refused one is an error."""
    plain = {**form.typed, "in": form.source}
    for name in AMOUNT_FIELDS:
        text = form.typed[name]
        if text is None:
            continue
        try:
            plain[name] = plain_amount(text)
            parse_minor(plain[name] or "", "CNY")
        except InvalidInput as problem:
            if problem.message in AMOUNT_REASONS:
                form.errors[name] = translate(locale, problem.message)
            else:
                form.errors[name] = _with_detail(translate(locale, HINTS[name]), problem.message, locale)
    return plain


def _with_detail(hint: str, detail: str, locale: str) -> str:
    """What to type instead, and the refusal's precise reason after it where the catalogue knows it (a range,
    a limit: what the hint alone does not say)."""
    if not detail or page_message("zh_CN", detail) == detail:
        return hint
    said = page_message(locale, detail)
    return f"{hint} ({said})" if normalise_locale(locale) == "en" else f"{hint}（{said}）"


def _field_problem(name: str, text: str | None, source: str, default_timezone: str) -> tuple[str, str] | None:
    """Why this field alone is refused: what to type instead (a msgid) and the refusal's own message, or None."""
    if FILTER_OF.get(name, name) not in APPLIES[source]:
        return NOT_IN_SOURCE, ""
    try:
        build_filters({name: text, "in": source}, default_timezone=default_timezone)
    except InvalidInput as refused:
        return HINTS[name], refused.message
    return None


def _combined(form: SearchForm, plain: Mapping[str, str | None], default_timezone: str, locale: str) -> None:
    """The filters of every field together; what only the combination refuses is put beside its field."""
    try:
        filters = build_filters(plain, default_timezone=default_timezone)
    except InvalidInput:
        form.errors["amount"] = translate(locale, BOTH_AMOUNTS)
        return
    low = filters.day_from or (filters.time_from.date() if filters.time_from else None)
    high = filters.day_to or (filters.time_until.date() if filters.time_until else None)
    if low is not None and high is not None and high < low:
        form.errors["to"] = translate(locale, ENDS_BEFORE)
        return
    form.filters = filters
