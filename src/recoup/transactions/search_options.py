"""The search form as query parameters, declared once for the search page and GET /api/v1/transactions.

Both read the same fields into the same texts, which `build_filters` alone checks and turns into filters
(`recoup search` hands it its options the same way): one set of limits, one message for each bad value.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query

from recoup.transactions.search import FIELD_LIMITS, form_texts


def _field(name: str, about: str = "") -> Any:
    """A query parameter named as in the form, its limit documented (build_filters enforces it)."""
    limit = f"at most {FIELD_LIMITS[name]} characters"
    return Query(alias=name, description=f"{about} ({limit})" if about else limit)


async def search_texts(
    order_no: Annotated[str | None, _field("order_no")] = None,
    rrn: Annotated[str | None, _field("rrn")] = None,
    stan: Annotated[str | None, _field("stan")] = None,
    amount: Annotated[str | None, _field("amount", "exact amount in major units, e.g. 128.00")] = None,
    min_amount: Annotated[str | None, _field("min", "smallest amount")] = None,
    max_amount: Annotated[str | None, _field("max", "largest amount")] = None,
    time_from: Annotated[str | None, _field("from", "from this day (the merchant's) or date-time (local time)")] = None,
    time_to: Annotated[str | None, _field("to", "up to this day (the merchant's whole day) or date-time")] = None,
    last4: Annotated[str | None, _field("last4")] = None,
    terminal: Annotated[str | None, _field("terminal")] = None,
    merchant: Annotated[str | None, _field("merchant", "the merchant's id or a part of its name")] = None,
    cashier: Annotated[str | None, _field("cashier")] = None,
    auth_code: Annotated[str | None, _field("auth_code")] = None,
    status: Annotated[str | None, _field("status")] = None,
    txn_type: Annotated[str | None, _field("type")] = None,
    flagged: Annotated[str | None, _field("flagged", "true: only lines that arrived for a stopped terminal")] = None,
    source: Annotated[str | None, _field("in", "journal (default), settlement or orders")] = None,
) -> dict[str, str | None]:
    """The search form's texts by field name (those of search.FIELD_LIMITS), trimmed, None where left empty."""
    return form_texts({
        "order_no": order_no, "rrn": rrn, "stan": stan, "amount": amount, "min": min_amount, "max": max_amount,
        "from": time_from, "to": time_to, "last4": last4, "terminal": terminal, "merchant": merchant,
        "cashier": cashier, "auth_code": auth_code, "status": status, "type": txn_type, "flagged": flagged,
        "in": source,
    })


SearchTexts = Annotated[dict[str, str | None], Depends(search_texts)]
