"""No full card number reaches the database through a form, an API body or a command (SPEC section 9).

Bulk imports mask card numbers in their DuckDB pipeline (recoup.transactions.pan_guard). Everything
else a person types — case summaries and notes, stop reasons, names, action notes, ledger memos —
is stored through the ORM, so one `before_flush` hook on every session masks the card numbers in
those free-text columns, whatever the door (page, API, CLI, worker). Identifier columns are not in
the list: they are checked where they come in. The audit trail masks its own note and JSON values
before chaining them (recoup.audit.service).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from recoup.transactions.pan_guard import EXEMPT_COLUMNS, REFUSED_COLUMNS, mask_pans


@cache
def free_text_columns() -> dict[type, tuple[str, ...]]:
    """Model -> the columns of free text a person can type into it."""
    from recoup.auth.models import Tenant, User
    from recoup.cases.models import Case, CaseAlert, CaseEvent
    from recoup.complaints.models import Complaint, ComplaintAnswer
    from recoup.evidence.models import EvidenceItem
    from recoup.ledger.models import LedgerPosting
    from recoup.merchants.models import Merchant, Terminal
    from recoup.messaging.models import MessageReply, OutboxMessage
    from recoup.recovery.models import PaymentRequest, RecoveryAction
    from recoup.webhooks.models import WebhookEvent

    return {
        Case: ("summary",),  # not order_no: an identifier that links a case to its order (see pan_guard)
        CaseEvent: ("note",),
        CaseAlert: ("message",),
        Terminal: ("stop_reason", "location", "model", "serial", "firmware"),
        Merchant: ("name", "city"),
        RecoveryAction: ("note", "last_error", "bank_reference", "provider_reference"),
        LedgerPosting: ("memo",),
        Tenant: ("name",),
        User: ("display_name",),
        PaymentRequest: ("merchant_name",),
        WebhookEvent: ("payload",),  # JSON: a case's summary copied before the flush masked it
        EvidenceItem: ("name", "note"),
        Complaint: ("description", "rating_comment"),
        ComplaintAnswer: ("text",),
        OutboxMessage: ("subject", "body"),  # the message as sent: a payer's card number typed into a note
        MessageReply: ("text",),
    }


# Values a structured payload (a webhook's, an audit entry's) holds under these keys are kept as they are,
# when they have the shape given (None: any). A person types values, never keys.
# - Identifiers copied from their own columns, stored there as they are and checked where they came in
#   (pan_guard.rule_for: a merchant id names a registered merchant; an order number that is a card number is
#   refused). One UnionPay merchant id in ten is Luhn-valid: masked in a webhook or an audit entry, it named no
#   merchant a receiver knows, while the same digits stood unmasked in the database.
# - What our code made: an event's id, a digest or signature (an evidence file's SHA-256, an audit checkpoint's
#   hash and MAC). About one in a hundred holds 13+ decimal digits in a row that pass the Luhn check; masked, it
#   broke the signature of the checkpoint a receiver checks and the digest a bank compares a file with.
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
KEPT_AS_THEY_ARE: dict[str, re.Pattern[str] | None] = {
    **dict.fromkeys(EXEMPT_COLUMNS | REFUSED_COLUMNS), "id": re.compile(r"evt_[0-9a-f]{24}"),
    "sha256": _HEX_DIGEST, "hash": _HEX_DIGEST, "prev_hash": _HEX_DIGEST, "mac": _HEX_DIGEST,
}


def _kept(key: str | None, value: str) -> bool:
    if key not in KEPT_AS_THEY_ARE:
        return False
    shape = KEPT_AS_THEY_ARE[key]
    return shape is None or shape.fullmatch(value) is not None


def masked_value(value: object, key: str | None = None) -> object:
    """`value` with card numbers masked in every string it holds (dicts and lists walked), but for an
    identifier or a digest under its key (`KEPT_AS_THEY_ARE`)."""
    if isinstance(value, str):
        return value if _kept(key, value) else mask_pans(value)
    if isinstance(value, dict):
        return {name: masked_value(item, name) for name, item in value.items()}
    if isinstance(value, list):
        return [masked_value(item) for item in value]
    return value


def masked_row(model: type, values: dict[str, Any]) -> dict[str, Any]:
    """The values of a row of `model` written without an ORM object (a Core insert), its free-text columns
    masked as `_mask_before_flush` masks an object's."""
    return {name: masked_value(value) if value and name in free_text_columns().get(model, ()) else value
            for name, value in values.items()}


def _mask_before_flush(session: Session, _context: Any, _instances: Any) -> None:
    columns = free_text_columns()
    for instance in (*session.new, *session.dirty):
        for name in columns.get(type(instance), ()):
            value = getattr(instance, name, None)
            if value:
                masked = masked_value(value)
                if masked != value:
                    setattr(instance, name, masked)


def install(sessions: sessionmaker[Session]) -> None:
    event.listen(sessions, "before_flush", _mask_before_flush)
