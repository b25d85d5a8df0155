"""Collecting a difference from the payer (使用二维码收款): the payment request and its QR code.

The payload is an EMVCo merchant-presented dynamic QR (recoup.recovery.emvqr) whose bill number
(tag 62, sub-tag 01) is the case number; the merchant account goes in the template the tenant
chose, else the settings' default (UnionPay's tag 15): see recoup.recovery.qr_account.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.cases.models import Case
from recoup.errors import NotFound
from recoup.merchants.models import Merchant
from recoup.money import Money
from recoup.recovery.emvqr import MAX_NAME, build_payload
from recoup.recovery.models import PaymentRequest, RecoveryAction
from recoup.recovery.qr_account import QrAccountTemplate, tenant_template


def _city(merchant: Merchant) -> str:
    if merchant.city.strip():
        return merchant.city.strip()
    return (merchant.timezone or "Asia/Shanghai").rsplit("/", 1)[-1].replace("_", " ")


def payload_for(case: Case, merchant: Merchant, amount: Money, template: QrAccountTemplate) -> str:
    """Tag 59 carries a Latin name (wallets expect one); a Chinese name goes in the language template 64."""
    latin = merchant.name.isascii()
    city = _city(merchant)
    return build_payload(
        amount=amount, bill_number=case.number,
        merchant_name=merchant.name if latin else f"MERCHANT {merchant.merchant_id}",
        merchant_city=city if city.isascii() else "CN", mcc=merchant.mcc,
        account=template.account(merchant.merchant_id), alternate_name=None if latin else merchant.name[:MAX_NAME],
        alternate_city=None if latin or not merchant.city else merchant.city,
    )


def create_payment_request(session: Session, action: RecoveryAction, case: Case, now: datetime,
                           default_template: QrAccountTemplate) -> PaymentRequest:
    merchant = session.get(Merchant, case.merchant_id)
    if merchant is None:
        raise NotFound(f"no merchant {case.merchant_id}")
    template = tenant_template(session, case.tenant_id, default_template)
    amount = Money(action.amount_minor, action.currency)
    request = PaymentRequest(
        tenant_id=case.tenant_id, case_id=case.id, action_id=action.id, token=secrets.token_urlsafe(24),
        bill_number=case.number, amount_minor=action.amount_minor, currency=action.currency,
        merchant_name=merchant.name, payload=payload_for(case, merchant, amount, template),
        status="OPEN", created_at=now,
    )
    session.add(request)
    session.flush()
    return request


def by_token(session: Session, token: str) -> PaymentRequest:
    """A payment request by its public token (the payer's link); nothing else is reachable from it."""
    found = None
    if 16 <= len(token) <= 64:
        found = session.execute(select(PaymentRequest).where(PaymentRequest.token == token)).scalar_one_or_none()
    if found is None:
        raise NotFound("no such payment request")
    return found


def for_action(session: Session, action_id: int) -> PaymentRequest | None:
    query = select(PaymentRequest).where(PaymentRequest.action_id == action_id)
    return session.execute(query).scalar_one_or_none()


def mark_paid(session: Session, action: RecoveryAction, now: datetime) -> None:
    request = for_action(session, action.id)
    if request is not None and request.status != "PAID":
        request.status = "PAID"
        request.paid_at = now
