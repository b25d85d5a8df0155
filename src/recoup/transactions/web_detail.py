"""The transaction page: drawn for /transactions/{id} and /settlement/{id}, and again, with the refusal
beside the open-case form, when opening a case for the transaction is refused (cases.web.open_page).

A finding's explanation is stored as "Chinese / English [reason codes]" (reconciliation.explain): the page
shows the user's language, the other one a click away, and the reason codes labelled by scheme (the
templates' `explained`, recoup.web.i18n.explained).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.auth.roles import Permission, may
from recoup.transactions.models import JournalLine, SettlementLine
from recoup.transactions.service import TransactionDetail, journal_detail, settlement_detail
from recoup.web.deps import database
from recoup.web.templating import render

TEMPLATE = "transactions/detail.html"


def draw_transaction(request: Request, principal: Principal, detail: TransactionDetail, *, status_code: int = 200,
                     open_error: dict[str, object] | None = None) -> HTMLResponse:
    """The page of one transaction; `open_error` is a refused open-case form: its message (translated),
    the case it conflicts with and what was typed."""
    return render(request, TEMPLATE, status_code=status_code, user=principal, detail=detail,
                  may_work=may(principal.role, Permission.WORK_CASES), open_error=open_error or {})


def _line_ids(session: Session, principal: Principal, rrn: str, terminal_id: str,
              merchant_id: str) -> tuple[int | None, int | None]:
    """The caller's journal line (else settlement line) with this RRN, as the open-case form named it."""
    found: list[int | None] = []
    for model in (JournalLine, SettlementLine):
        query = select(model.id).where(model.tenant_id == principal.tenant_id, model.rrn == rrn)
        if principal.limited_to_merchants:
            query = query.where(model.merchant_id.in_(sorted(principal.merchant_ids)))
        if terminal_id:
            query = query.where(model.terminal_id == terminal_id)
        if merchant_id:
            query = query.where(model.merchant_id == merchant_id)
        found.append(session.execute(query.order_by(model.id).limit(1)).scalar_one_or_none())
    return found[0], found[1]


def transaction_again(request: Request, principal: Principal, named: dict[str, str], message: str,
                      status_code: int, *, case: str = "", typed: dict[str, str] | None = None) -> HTMLResponse | None:
    """The page of the transaction an open-case form named (rrn, terminal_id, merchant_id), with the
    refusal `message` beside the form and a link to `case`; None when no such transaction is in scope."""
    rrn = named.get("rrn", "").strip()
    if not rrn:
        return None
    with database(request).unit_of_work() as session:
        journal_id, settlement_id = _line_ids(session, principal, rrn, named.get("terminal_id", "").strip(),
                                              named.get("merchant_id", "").strip())
        if journal_id is not None:
            detail = journal_detail(session, principal, journal_id)
        elif settlement_id is not None:
            detail = settlement_detail(session, principal, settlement_id)
        else:
            return None
        return draw_transaction(request, principal, detail, status_code=status_code,
                                open_error={"message": message, "case": case, "typed": typed or {}})
