"""The ledger pages: balances by account, postings with their actions and cases, holds."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from recoup.ledger.queries import holds, ledger_merchant, postings
from recoup.ledger.service import merchant_accounts
from recoup.web.deps import SessionDep, SettingsDep, WebUser
from recoup.web.i18n import translate
from recoup.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)
PER_PAGE = 50
POSTING_KINDS = frozenset({
    "hold", "release", "refund.paid", "refund.confirmed", "refund.settled", "void", "reversal", "collect.requested",
    "collect.paid", "collect.settled", "adjustment.confirmed", "transfer.confirmed", "sale.captured",
    "dispute.chargeback", "dispute.fee", "dispute.reversal",
})


def posting_label(locale: str, kind: str) -> str:
    """A posting's kind in words (a settlement of any transaction type is "Settlement: <type>")."""
    if kind in POSTING_KINDS:
        return translate(locale, f"posting.{kind}")
    if kind.startswith("settlement."):
        return translate(locale, "posting.settlement")
    return translate(locale, "posting.other")


def zone_of(name: str, default: str) -> ZoneInfo:
    for candidate in (name, default, "UTC"):
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def local_time(moment: datetime | None, zone: ZoneInfo) -> str:
    """As a person writes it, in the merchant's zone: 2026-11-20 16:40."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment is not None else ""


@router.get("/ledger/{merchant_id}", response_class=HTMLResponse)
def ledger_page(merchant_id: str, request: Request, principal: WebUser, session: SessionDep, config: SettingsDep,
                page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> HTMLResponse:
    merchant = ledger_merchant(session, principal, merchant_id)
    locale = request_locale(request)
    zone = zone_of(merchant.timezone, config.default_timezone)
    rows, total = postings(session, merchant, offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    return render(
        request, "ledger/merchant.html", user=principal, merchant=merchant, zone=zone.key,
        balances=merchant_accounts(session, principal, merchant.merchant_id), postings=rows, total=total,
        page=page, pages=max(1, -(-total // PER_PAGE)), holds=holds(session, merchant),
        kind_label=lambda kind: posting_label(locale, kind), when=lambda moment: local_time(moment, zone),
    )
