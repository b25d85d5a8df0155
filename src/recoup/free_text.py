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

from recoup.transactions.pan_guard import mask_pans


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


# A digest or signature our code computed (an evidence file's SHA-256, an audit checkpoint's hash and
# MAC) is not free text: one in a hundred holds 13+ decimal digits in a row that pass the Luhn check,
# and masking them would break what a bank or a webhook receiver checks. Kept only under these keys
# (a person types values, never keys) and only when the whole value is hex of a digest's length.
DIGEST_KEYS = frozenset({"sha256", "hash", "prev_hash", "mac"})
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


def masked_value(value: object, key: str | None = None) -> object:
    """`value` with card numbers masked in every string it holds (dicts and lists walked), but for a
    digest under one of `DIGEST_KEYS`."""
    if isinstance(value, str):
        return value if key in DIGEST_KEYS and _HEX_DIGEST.fullmatch(value) else mask_pans(value)
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
