"""REST route of the findings inbox."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Row
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.bounds import check_day
from recoup.errors import InvalidInput
from recoup.money import format_major, parse_minor
from recoup.reconciliation.db_run import run_in_session
from recoup.reconciliation.db_source import DbScope
from recoup.reconciliation.inbox import SORTS, FindingFilter, list_findings
from recoup.reconciliation.models import StoredFinding
from recoup.reconciliation.runs import run_view
from recoup.web.deps import ApiUser, Now, SessionDep
from recoup.web.params import AmountText, Day, KindName, Limit, MerchantId, Offset, Rrn, TerminalId

router = APIRouter(tags=["findings"])
RunId = Annotated[str, Path(max_length=20)]  # not a number: 404, like a run of another tenant


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
        return cls(**finding_json(found))


def finding_json(found: StoredFinding | Row[Any]) -> dict[str, object]:
    """A stored finding (or a row of inbox.API_COLUMNS) as FindingOut shows it, as a plain dict (the API's page
    is 50 of them: a model per row costs more than the query)."""
    cur = found.currency
    return {"finding_id": found.finding_id, "kind": found.kind, "cause": found.cause,
            "merchant_id": found.merchant_id, "terminal_id": found.terminal_id, "rrn": found.rrn,
            "related_rrn": found.related_rrn, "order_no": found.order_no,
            "charged_amount": format_major(found.charged_minor, cur),
            "expected_amount": format_major(found.expected_minor, cur),
            "difference": format_major(found.difference_minor, cur), "currency": cur,
            "confidence": float(found.confidence), "reason_codes": list(found.reason_codes),
            "explanation": found.explanation, "case_id": found.case_id}


class FindingPage(BaseModel):
    total: int
    items: list[FindingOut]


def finding_filter(kind: str | None, merchant_id: str | None, date_from: date | None, date_to: date | None,
                   min_amount: str | None, max_amount: str | None, limit: int = 100,
                   offset: int = 0, **more: str | None) -> FindingFilter:
    """Filters from query values; amounts are decimal strings in major units (CNY). `more`: the optional
    rrn, last4, terminal_id, merchant (id or part of its name), cause, min_charged, max_charged and sort."""
    sort = more.get("sort") or ""
    if sort and sort.lstrip("-") not in SORTS:
        raise InvalidInput(f"sort: one of {', '.join(SORTS)} (with '-' first for descending)")
    last4 = more.get("last4") or None
    if last4 is not None and not (len(last4) == 4 and last4.isascii() and last4.isdigit()):
        raise InvalidInput("last4: the card's last four digits, e.g. 0218")
    return FindingFilter(
        kind=kind or None, merchant_id=merchant_id or None,
        date_from=check_day("date_from", date_from) if date_from else None,
        date_to=check_day("date_to", date_to) if date_to else None,
        min_minor=_minor(min_amount), max_minor=_minor(max_amount), limit=limit, offset=offset,
        rrn=more.get("rrn") or None, last4=last4, terminal_id=more.get("terminal_id") or None,
        merchant=more.get("merchant") or None, cause=more.get("cause") or None,
        min_charged_minor=_minor(more.get("min_charged")), max_charged_minor=_minor(more.get("max_charged")),
        sort=sort,
    )


def _minor(amount: str | None) -> int | None:
    return parse_minor(amount, "CNY") if amount else None


@router.get("/findings", response_model=FindingPage)
def findings(
    principal: ApiUser, session: SessionDep,
    kind: KindName | None = None, merchant_id: MerchantId | None = None,
    date_from: Day | None = None, date_to: Day | None = None,
    min_amount: AmountText | None = None, max_amount: AmountText | None = None,
    limit: Limit = 100, offset: Offset = 0,
    rrn: Rrn | None = None, last4: Annotated[str | None, Query(max_length=4)] = None,
    terminal_id: TerminalId | None = None, merchant: Annotated[str | None, Query(max_length=200)] = None,
    cause: KindName | None = None, min_charged: AmountText | None = None, max_charged: AmountText | None = None,
    sort: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The caller's findings. min_amount/max_amount: the amount at stake (the absolute difference);
    min_charged/max_charged: the amount charged. Without `sort`: kind, rrn, order_no (the CSV's order);
    sort: day, kind, merchant, terminal, at_stake, charged or rrn, '-' first for descending."""
    wanted = finding_filter(kind, merchant_id, date_from, date_to, min_amount, max_amount, limit, offset,
                            rrn=rrn, last4=last4, terminal_id=terminal_id, merchant=merchant, cause=cause,
                            min_charged=min_charged, max_charged=max_charged, sort=sort)
    total, rows = list_findings(session, principal, wanted)
    # The FindingPage of the response model, written straight (FastAPI sends a Response as it is).
    return JSONResponse({"total": total, "items": [finding_json(row) for row in rows]})


class RunRequest(BaseModel):
    """What a run reads: the caller's scope, one merchant of it, or some days."""

    merchant_id: str | None = Field(default=None, max_length=15)
    date_from: date | None = None
    date_to: date | None = None


class RunOut(BaseModel):
    run_id: int
    run_by: str
    findings: int
    new_findings: int
    skipped: int
    cases: dict[str, dict[str, int]]  # opened, updated, resolved, left, reopened, not_judged -> kind -> cases


@router.post("/reconciliation/runs", response_model=RunOut, status_code=201)
def save_run(principal: ApiUser, session: SessionDep, now: Now,
             body: RunRequest | None = None) -> RunOut:
    """`recoup reconcile --db --save`: reconcile the stored data, save the findings, bring the cases up to date."""
    wanted = body or RunRequest()
    scope = DbScope(wanted.merchant_id or None,
                    check_day("date_from", wanted.date_from) if wanted.date_from else None,
                    check_day("date_to", wanted.date_to) if wanted.date_to else None)
    if scope.date_from and scope.date_to and scope.date_from > scope.date_to:
        raise InvalidInput("date_from is after date_to")
    summary = run_in_session(session, principal, scope, out=None, save=True, now=now)
    assert summary.run_id is not None
    return stored_run(session, principal, summary.run_id)


@router.get("/reconciliation/runs/{run_id}", response_model=RunOut)
def get_run(principal: ApiUser, session: SessionDep, run_id: RunId) -> RunOut:
    return stored_run(session, principal, run_id)


def stored_run(session: Session, principal: Principal, run_id: int | str) -> RunOut:
    view = run_view(session, principal, run_id)
    return RunOut(run_id=view.run_id, run_by=view.run_by, findings=view.findings, new_findings=view.new_findings,
                  skipped=view.skipped, cases=view.cases)
