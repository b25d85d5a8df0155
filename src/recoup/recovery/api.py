"""REST routes for recovery actions (with the Idempotency-Key header) and merchant balances."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import JSONResponse

from recoup.cases.api import ApiActor
from recoup.cases.recording import audited
from recoup.cases.schemas import ActionIn, ConfirmIn, QrAccountIn, action_row
from recoup.ledger.service import merchant_accounts
from recoup.recovery.collect import for_action
from recoup.recovery.plans import ActionRequest
from recoup.recovery.qr_account import QrAccountTemplate, reset_template, set_template, template_view
from recoup.recovery.service import actions_of, confirm_by_hand, perform
from recoup.web.deps import ApiUser, SessionDep, SettingsDep, database, settings
from recoup.web.params import CaseReference, DatabaseId, MerchantId

router = APIRouter(tags=["recovery"])
REPLAYED_HEADER = "Idempotent-Replayed"
IdempotencyHeader = Annotated[str | None, Header(max_length=120, description="the same key again never acts twice")]


@router.post("/cases/{case_id}/actions", status_code=201, response_model=dict[str, object])
def act(case_id: CaseReference, body: ActionIn, request: Request, principal: ApiActor,
        idempotency_key: IdempotencyHeader = None) -> Response:
    """Void, reverse, refund, adjust, collect a difference or request a transfer, once per key."""
    outcome = perform(database(request), principal, case_id, ActionRequest(**body.model_dump()), idempotency_key,
                      qr_default=QrAccountTemplate.from_settings(settings(request)))
    # The action's view holds JSON's own types (texts, numbers, None): sent as it is, without validating it
    # again in a worker thread; a replay says so in its header.
    answer = JSONResponse(_with_payment(request, dict(outcome.action)), status_code=201)
    if outcome.replayed:
        answer.headers[REPLAYED_HEADER] = "true"
    return answer


def _with_payment(request: Request, view: dict[str, object]) -> dict[str, object]:
    """A collection's view with its payment request (the payer's link, QR payload and slip)."""
    if view.get("kind") == "COLLECT":
        with database(request).unit_of_work() as session:
            payment = for_action(session, int(str(view["id"])))
            if payment is not None:
                view["payment"] = {"url": f"/pay/{payment.token}", "payload": payment.payload,
                                   "slip": f"/pay/{payment.token}/slip", "status": payment.status}
    return view


@router.get("/cases/{case_id}/actions")
def actions(case_id: CaseReference, principal: ApiUser, session: SessionDep) -> list[dict[str, object]]:
    return [action_row(action) for action in actions_of(session, principal, case_id)]


@router.post("/cases/{case_id}/actions/{action_id}/confirm")
def confirm(case_id: CaseReference, action_id: DatabaseId, body: ConfirmIn, request: Request,
            principal: ApiActor) -> dict[str, object]:
    """Confirm an adjustment or transfer the bank reports done."""
    return confirm_by_hand(database(request), principal, case_id, action_id, body.reference)


@router.get("/merchants/{merchant_id}/balance", tags=["ledger"])
def balance(merchant_id: MerchantId, principal: ApiUser, session: SessionDep) -> list[dict[str, object]]:
    return merchant_accounts(session, principal, merchant_id)


@router.get("/qr-account")
def qr_account(principal: ApiUser, session: SessionDep, config: SettingsDep) -> dict[str, object]:
    """The merchant-account template of the tenant's collection QR codes (and whether it is its own)."""
    return template_view(session, principal.tenant_id, QrAccountTemplate.from_settings(config))


@router.put("/qr-account")
def change_qr_account(body: QrAccountIn, request: Request, principal: ApiActor) -> dict[str, object]:
    """Admin: use this template for the tenant's collection QR codes from now on."""
    default = QrAccountTemplate.from_settings(settings(request))
    with audited(database(request), principal, "qr_account.set", str(principal.tenant_id), body.model_dump()) as s:
        return set_template(s, principal, QrAccountTemplate(body.tag, body.gui), default)


@router.delete("/qr-account")
def reset_qr_account(request: Request, principal: ApiActor) -> dict[str, object]:
    """Admin: back to the default template of the settings."""
    default = QrAccountTemplate.from_settings(settings(request))
    with audited(database(request), principal, "qr_account.reset", str(principal.tenant_id)) as session:
        return reset_template(session, principal, default)
