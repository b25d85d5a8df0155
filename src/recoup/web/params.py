"""Bounded types for every parameter of the API and the pages (path, query, form and JSON body alike).

A route declares `journal_id: DatabaseId`, `offset: Offset = 0` or `amount: Annotated[AmountText, Form()]`
and FastAPI refuses anything outside the bounds with a 422 naming the field, before a handler runs: no
20-digit id reaches the database driver, no year 9999 reaches date arithmetic, no "１２" reaches money.
The limits themselves live in recoup.bounds and recoup.money; this module only turns them into types
(and documents them in the OpenAPI schema, so a client — or a fuzzer — sees what is accepted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import AfterValidator, Field, GetJsonSchemaHandler, StringConstraints
from pydantic_core import core_schema

from recoup.bounds import FIRST_DAY, LAST_DAY, MAX_DATABASE_ID, MAX_LIMIT, MAX_OFFSET
from recoup.money import AMOUNT_MAX_LENGTH, DIGITS_ONLY

# What a refused value is told, by the validators below (English msgids of the UI catalogues).
CODE_ONLY = "letters A-Z, digits 0-9, '-' or '_' only"
CASE_REFERENCE = "a case number such as RC-2026-000123, or a case id (digits 0-9)"
TOKEN_ONLY = "letters, digits, '-' or '_' only"
VALUE_REASONS = (DIGITS_ONLY, CODE_ONLY, CASE_REFERENCE, TOKEN_ONLY)

AMOUNT_PATTERN = r"^ *[+-]?[0-9,]*(\.[0-9]*)? *$"
CODE_PATTERN = r"^[0-9A-Za-z_-]*$"
CASE_PATTERN = r"^ *([Rr][Cc]-[0-9]{4}-[0-9]{6,12}|[0-9]{1,17}) *$"
TOKEN_PATTERN = r"^[0-9A-Za-z_-]+$"


@dataclass(frozen=True)
class Documented:
    """Adds `pattern` to a string's JSON schema: the validator that enforces it gives its own clear message."""

    pattern: str

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> dict[str, Any]:
        found: dict[str, Any] = handler(schema)
        found["pattern"] = self.pattern
        return found


def _matching(pattern: str, reason: str) -> AfterValidator:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if compiled.fullmatch(value) is None:
            raise ValueError(reason)
        return value

    return AfterValidator(check)


def _amount(value: str) -> str:
    """Only the digits 0-9 (recoup.money parses the rest, with the currency it is in)."""
    if not value.isascii() and any(char.isdigit() or char.isnumeric() for char in value):
        raise ValueError(DIGITS_ONLY)
    return value


# Numbers
DatabaseId = Annotated[int, Ge(1), Le(MAX_DATABASE_ID)]
Offset = Annotated[int, Ge(0), Le(MAX_OFFSET)]
Limit = Annotated[int, Ge(1), Le(MAX_LIMIT)]
CaseLimit = Annotated[int, Ge(1), Le(10 * MAX_LIMIT)]
Day = Annotated[date, Ge(FIRST_DAY), Le(LAST_DAY),
                Field(description=f"a date from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}")]

# Texts
AmountText = Annotated[str, StringConstraints(max_length=AMOUNT_MAX_LENGTH), AfterValidator(_amount),
                       Documented(AMOUNT_PATTERN),
                       Field(description="a decimal amount in major units with the digits 0-9, e.g. 128.00")]
CaseReference = Annotated[str, StringConstraints(max_length=32), _matching(CASE_PATTERN, CASE_REFERENCE),
                          Documented(CASE_PATTERN)]


_CODE_CHECK, _CODE_DOC = _matching(CODE_PATTERN, CODE_ONLY), Documented(CODE_PATTERN)
# Identifiers: ASCII letters, digits, '-' and '_' (empty allowed: a filter left empty).
MerchantId = Annotated[str, StringConstraints(max_length=15), _CODE_CHECK, _CODE_DOC]
TerminalId = Annotated[str, StringConstraints(max_length=8), _CODE_CHECK, _CODE_DOC]
Rrn = Annotated[str, StringConstraints(max_length=12), _CODE_CHECK, _CODE_DOC]
State = Annotated[str, StringConstraints(max_length=20), _CODE_CHECK, _CODE_DOC]
KindName = Annotated[str, StringConstraints(max_length=30), _CODE_CHECK, _CODE_DOC]
PayToken = Annotated[str, StringConstraints(max_length=64), _matching(TOKEN_PATTERN, TOKEN_ONLY),
                     Documented(TOKEN_PATTERN)]
LanguageTag = Annotated[str, StringConstraints(max_length=10)]
LocalPath = Annotated[str, StringConstraints(max_length=2000)]  # a page to go back to after a form ("next")
