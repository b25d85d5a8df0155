"""REST route of the findings inbox."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel

from recoup.bounds import check_day
from recoup.money import format_major, parse_minor
from recoup.reconciliation.inbox import FindingFilter, list_findings
from recoup.reconciliation.models import StoredFinding
from recoup.web.deps import ApiUser, SessionDep
from recoup.web.params import AmountText, Day, KindName, Limit, MerchantId, Offset

router = APIRouter(tags=["findings"])


class FindingOut(BaseModel):
    finding_id: str
    kind: str
    cause: str | None
    merchant_id: str
    terminal_id: str
    rrn: str
    related_rrn: str
    order_no: str
    charged_amount: str
    expected_amount: str
    difference: str
    currency: str
    confidence: float
    reason_codes: list[str]
    explanation: str
    case_id: int | None

    @classmethod
    def of(cls, found: StoredFinding) -> FindingOut:
        cur = found.currency
        return cls(finding_id=found.finding_id, kind=found.kind, cause=found.cause, merchant_id=found.merchant_id,
                   terminal_id=found.terminal_id, rrn=found.rrn, related_rrn=found.related_rrn,
                   order_no=found.order_no, charged_amount=format_major(found.charged_minor, cur),
                   expected_amount=format_major(found.expected_minor, cur),
                   difference=format_major(found.difference_minor, cur), currency=cur,
                   confidence=found.confidence, reason_codes=list(found.reason_codes),
                   explanation=found.explanation, case_id=found.case_id)


class FindingPage(BaseModel):
    total: int
    items: list[FindingOut]


def finding_filter(kind: str | None, merchant_id: str | None, date_from: date | None, date_to: date | None,
                   min_amount: str | None, max_amount: str | None, limit: int = 100,
                   offset: int = 0) -> FindingFilter:
    """Filters from query values; amounts are decimal strings in major units (CNY)."""
    return FindingFilter(
        kind=kind or None, merchant_id=merchant_id or None,
        date_from=check_day("date_from", date_from) if date_from else None,
        date_to=check_day("date_to", date_to) if date_to else None,
        min_minor=parse_minor(min_amount, "CNY") if min_amount else None,
        max_minor=parse_minor(max_amount, "CNY") if max_amount else None, limit=limit, offset=offset,
    )


@router.get("/findings", response_model=FindingPage)
def findings(
    principal: ApiUser, session: SessionDep,
    kind: KindName | None = None, merchant_id: MerchantId | None = None,
    date_from: Day | None = None, date_to: Day | None = None,
    min_amount: AmountText | None = None, max_amount: AmountText | None = None,
    limit: Limit = 100, offset: Offset = 0,
) -> FindingPage:
    wanted = finding_filter(kind, merchant_id, date_from, date_to, min_amount, max_amount, limit, offset)
    total, rows = list_findings(session, principal, wanted)
    return FindingPage(total=total, items=[FindingOut.of(row) for row in rows])
