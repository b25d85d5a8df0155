"""REST route of the periodic report: `GET /api/v1/reports/summary` (numbers as numbers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field, StringConstraints

from recoup.reports.service import summary
from recoup.reports.summary import to_json
from recoup.web.deps import ApiUser, Now, SessionDep
from recoup.web.params import Day, MerchantId

router = APIRouter(tags=["reports"])

CurrencyCode = Annotated[str, StringConstraints(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$"),
                         Field(description="an ISO 4217 code, e.g. CNY")]


@router.get("/reports/summary")
def report_summary(
    principal: ApiUser, session: SessionDep, now: Now,
    date_from: Annotated[Day | None, Query(alias="from", description="first merchant-local day")] = None,
    date_to: Annotated[Day | None, Query(alias="to", description="last merchant-local day, included")] = None,
    merchant: Annotated[MerchantId | None, Query(description="one merchant; empty: all you see")] = None,
    currency: CurrencyCode = "CNY",
) -> dict[str, object]:
    """Findings, cases, recovery, error rates and ageing of [from, to] (the last 30 days without them)."""
    return to_json(summary(session, principal, date_from, date_to, merchant_id=merchant or None,
                           currency=currency, now=now))
