"""Message templates per tenant (SPEC section 7): the shipped defaults, an admin's changes, and the
case facts a template is filled with. Services flush; the caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.audit.service import record
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.cases.models import Case
from recoup.cases.repository import findings_of, transactions_of
from recoup.errors import InvalidInput, NotFound
from recoup.merchants.models import Merchant
from recoup.messaging.default_templates import DEFAULTS, Wording
from recoup.messaging.models import MessageTemplate
from recoup.messaging.rules import LOCALES, TEMPLATE_KEYS, RuleError, check_template, fill, refusal
from recoup.money import Money
from recoup.recovery.models import PaymentRequest, RecoveryAction, RecoveryKind, RecoveryStatus

MANAGE = Permission.MANAGE_MERCHANTS  # tenant settings are the admin's (roles.py: only the admin has it)


def parse_key(key: str) -> str:
    chosen = key.strip().lower()
    if chosen not in TEMPLATE_KEYS:
        raise NotFound(f"no template {key!r}: one of {', '.join(TEMPLATE_KEYS)}")
    return chosen


def parse_locale(locale: str) -> str:
    chosen = locale.strip().replace("-", "_")
    chosen = {"zh": "zh_CN", "zh_cn": "zh_CN", "en_us": "en", "en_gb": "en"}.get(chosen.lower(), chosen)
    if chosen not in LOCALES:
        raise InvalidInput(f"unknown language {locale!r}: zh_CN or en")
    return chosen


def template_for(session: Session, tenant_id: int, key: str, locale: str) -> Wording:
    row = session.execute(select(MessageTemplate).where(
        MessageTemplate.tenant_id == tenant_id, MessageTemplate.key == key, MessageTemplate.locale == locale,
    )).scalar_one_or_none()
    return Wording(row.subject, row.body) if row is not None else DEFAULTS[(key, locale)]


def list_templates(session: Session, principal: Principal) -> list[dict[str, object]]:
    principal.require(Permission.READ)
    changed = {(row.key, row.locale): row for row in session.execute(
        select(MessageTemplate).where(MessageTemplate.tenant_id == principal.tenant_id)).scalars()}
    rows: list[dict[str, object]] = []
    for key in TEMPLATE_KEYS:
        for locale in LOCALES:
            wording = template_for(session, principal.tenant_id, key, locale)
            row = changed.get((key, locale))
            rows.append({"key": key, "locale": locale, "subject": wording.subject, "body": wording.body,
                         "customised": row is not None, "updated_by": row.updated_by if row else None})
    return rows


def save_template(session: Session, principal: Principal, key: str, locale: str, subject: str, body: str,
                  now: datetime) -> MessageTemplate:
    """An admin's wording of one template; one naming an unknown placeholder is refused with its name."""
    principal.require(MANAGE)
    key, locale = parse_key(key), parse_locale(locale)
    try:
        check_template(subject, body)
    except RuleError as bad:
        raise InvalidInput(str(bad), detail=refusal(bad)) from bad
    row = session.execute(select(MessageTemplate).where(
        MessageTemplate.tenant_id == principal.tenant_id, MessageTemplate.key == key,
        MessageTemplate.locale == locale).with_for_update()).scalar_one_or_none()
    before: dict[str, object] | None = {"subject": row.subject, "body": row.body} if row is not None else None
    if row is None:
        row = MessageTemplate(tenant_id=principal.tenant_id, key=key, locale=locale, subject=subject, body=body,
                              updated_by=principal.username, updated_at=now)
        session.add(row)
    row.subject, row.body, row.updated_by, row.updated_at = subject, body, principal.username, now
    record(session, principal.actor(), "message_template.save", "message_template", f"{key}/{locale}",
           before=before, after={"subject": subject, "body": body}, at=now)
    session.flush()
    return row


def case_facts(session: Session, case: Case, locale: str, public_url: str, reply_link: str) -> dict[str, str]:
    """What a template about `case` is filled with, worded for `locale` (money with its symbol, the
    time in the merchant's zone)."""
    merchant = session.get(Merchant, case.merchant_id)
    money_locale = "zh_CN" if locale == "zh_CN" else "en_US"

    def money(minor: int) -> str:
        return Money(abs(minor), case.currency).format(money_locale)

    findings = findings_of(session, case.id)
    lines = transactions_of(session, case)
    charged, expected = (findings[0].charged_minor, findings[0].expected_minor) if findings \
        else _from_the_sale(case, lines)
    zone = ZoneInfo(merchant.timezone if merchant is not None and merchant.timezone else "Asia/Shanghai")
    facts = {
        "case_number": case.number, "merchant_name": merchant.name if merchant is not None else case.merchant_id,
        "amount": money(case.at_stake_minor), "difference": money(case.at_stake_minor),
        "charged": money(charged) if charged is not None else "", "expected": money(expected) if expected is not None
        else "", "txn_time": case.txn_time.astimezone(zone).strftime("%Y-%m-%d %H:%M") if case.txn_time else "",
        "card_last4": next((str(getattr(line, "card_last4", "")) for line in lines), ""),
        "reply_link": reply_link, "payment_link": _payment_link(session, case, public_url),
        "refund_amount": money(_refunded(session, case)),
    }
    if charged is not None and expected is not None:
        facts["difference"] = money(charged - expected)
    return facts


def _from_the_sale(case: Case, lines: Sequence[object]) -> tuple[int | None, int | None]:
    """A case without a finding (opened by hand or from a complaint): what the card was charged is its sale's
    amount, and what was due follows from the amount at stake and which way the money is owed."""
    amounts = [amount for line in lines if isinstance(amount := getattr(line, "amount_minor", None), int)]
    if not amounts:
        return None, None
    charged = amounts[0]
    due = charged + case.at_stake_minor if case.direction == "PAYER_OWES_MERCHANT" else charged - case.at_stake_minor
    return charged, due


def _payment_link(session: Session, case: Case, public_url: str) -> str:
    token = session.execute(select(PaymentRequest.token).where(PaymentRequest.case_id == case.id,
                                                               PaymentRequest.status == "OPEN")
                            .order_by(PaymentRequest.id.desc()).limit(1)).scalar_one_or_none()
    return f"{public_url.rstrip('/')}/pay/{token}" if token else ""


def _refunded(session: Session, case: Case) -> int:
    amounts = session.execute(select(RecoveryAction.amount_minor).where(
        RecoveryAction.case_id == case.id, RecoveryAction.kind.in_((RecoveryKind.REFUND, RecoveryKind.REVERSAL,
                                                                     RecoveryKind.VOID)),
        RecoveryAction.status != RecoveryStatus.FAILED)).scalars()
    return sum(amounts)


def render_message(wording: Wording, facts: dict[str, str]) -> Wording:
    return Wording(fill(wording.subject, facts), fill(wording.body, facts))
