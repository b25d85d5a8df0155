"""The search form as query parameters, read once for the search page and GET /api/v1/transactions.

Both read the same fields into the same texts, which `build_filters` alone checks and turns into filters
(`recoup search` hands it its options the same way): one set of limits, one message for each bad value.

The fields are read straight from the query string by one dependency (every field is an optional text that
FastAPI would accept as it is): declared one by one, FastAPI solved and validated 17 parameters per request,
a third of a search's Python calls. `SEARCH_DOCS` documents them in the route's OpenAPI entry as FastAPI
did when they were declared (tests/transactions/test_search_options.py compares the two).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from recoup.transactions.search import FIELD_LIMITS, form_texts

# What each field documents besides its length limit (search.FIELD_LIMITS), by its name in the form and query.
_ABOUT = {
    "amount": "exact amount in major units, e.g. 128.00", "min": "smallest amount", "max": "largest amount",
    "from": "from this day (the merchant's) or date-time (local time)",
    "to": "up to this day (the merchant's whole day) or date-time",
    "merchant": "the merchant's id or a part of its name",
    "flagged": "true: only lines that arrived for a stopped terminal", "in": "journal (default), settlement or orders",
}


def _documented(name: str) -> dict[str, Any]:
    """A field's OpenAPI parameter, as FastAPI wrote it for `Query(alias=name, description=...)`."""
    limit = f"at most {FIELD_LIMITS[name]} characters"
    about = _ABOUT.get(name, "")
    description = f"{about} ({limit})" if about else limit
    return {"name": name, "in": "query", "required": False,
            "schema": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": description,
                       "title": name.replace("_", " ").title()},
            "description": description}


# The route's `openapi_extra`: FastAPI adds these after the route's own parameters (limit, offset).
SEARCH_DOCS: dict[str, Any] = {"parameters": [_documented(name) for name in FIELD_LIMITS]}


async def search_texts(request: Request) -> dict[str, str | None]:
    """The search form's texts by field name (those of search.FIELD_LIMITS), trimmed, None where left empty.
    A field given twice counts by its last value, as FastAPI read a declared parameter."""
    return form_texts(request.query_params)


SearchTexts = Annotated[dict[str, str | None], Depends(search_texts)]
