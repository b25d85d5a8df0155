"""REST routes of the periodic report: `GET /api/v1/reports/summary` (numbers as numbers), the prevention
lists `GET /api/v1/reports/prevention` and their acknowledgement `POST /api/v1/reports/prevention/ack`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, StringConstraints

from recoup.reports.prevention import acknowledge
from recoup.reports.service import prevention, summary
from recoup.reports.summary import prevention_json, to_json
from recoup.web.deps import ApiUser, Now, SessionDep
from recoup.web.params import Day, MerchantId

router = APIRouter(tags=["reports"])

CurrencyCode = Annotated[str, StringConstraints(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$"),
                         Field(description="an ISO 4217 code, e.g. CNY")]
FromDay = Annotated[Day | None, Query(alias="from", description="first merchant-local day")]
ToDay = Annotated[Day | None, Query(alias="to", description="last merchant-local day, included")]
OneMerchant = Annotated[MerchantId | None, Query(description="one merchant; empty: all you see")]


@router.get("/reports/summary")
def report_summary(principal: ApiUser, session: SessionDep, now: Now, date_from: FromDay = None,
                   date_to: ToDay = None, merchant: OneMerchant = None, currency: CurrencyCode = "CNY",
                   ) -> dict[str, object]:
    """Findings, cases, recovery, error rates and ageing of [from, to] (the last 30 days without them)."""
    return to_json(summary(session, principal, date_from, date_to, merchant_id=merchant or None,
                           currency=currency, now=now))


@router.get("/reports/prevention")
def report_prevention(principal: ApiUser, session: SessionDep, now: Now, date_from: FromDay = None,
                      date_to: ToDay = None, merchant: OneMerchant = None, currency: CurrencyCode = "CNY",
                      ) -> dict[str, object]:
    """The prevention lists of [from, to]: each entry with its key, count, figures, example RRNs or cases,
    the transaction search behind it and its acknowledgement (null when none)."""
    period, rows = prevention(session, principal, date_from, date_to, merchant_id=merchant or None,
                              currency=currency, now=now)
    return {"from": period.first.isoformat(), "to": period.last.isoformat(), "currency": currency.upper(),
            "entries": [prevention_json(row) for row in rows]}


class AckBody(BaseModel):
    key: Annotated[str, StringConstraints(min_length=3, max_length=120),
                   Field(description="the entry's key, e.g. maintenance:898301054111439:61027889")]
    note: Annotated[str, StringConstraints(max_length=500), Field(description="why it is acknowledged")]


@router.post("/reports/prevention/ack", status_code=201)
def acknowledge_entry(body: AckBody, principal: ApiUser, session: SessionDep, now: Now) -> dict[str, object]:
    """Acknowledge a prevention entry with a note (an audit entry; the lists then mark it acknowledged)."""
    ack = acknowledge(session, principal, body.key, body.note, now)
    return {"key": body.key.strip(), "acknowledged_by": ack.by, "acknowledged_at": ack.at.isoformat(),
            "note": ack.note}
