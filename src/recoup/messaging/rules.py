"""The rules of messages to customers (SPEC section 7, section 2 step 5). Pure: no framework import.

- Placeholders: a template is str.format text naming only the case facts of PLACEHOLDERS; a template
  naming anything else (or with a format spec, an attribute or an index) is refused with the name.
- Addresses: an e-mail address by a simple strict rule (one @, a dot in the domain, nothing that could
  break a mail header); a phone number as E.164 (+ and 8 to 15 digits) or a Chinese mobile (11 digits
  starting with 1), normalised to +86.
- Backoff: when a failed message is tried again, and when it is given up (DEAD).
- Masking: how an address is shown (never in full on a page, a list or a log).

Called by messaging.templates (on save and on filling) and messaging.outbox (on enqueue and after
each attempt); no lock is needed here.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum

PLACEHOLDERS = frozenset({
    "case_number", "merchant_name", "amount", "charged", "expected", "difference", "txn_time", "card_last4",
    "payment_link", "reply_link", "refund_amount",
})
TEMPLATE_KEYS = ("apology", "refund_issued", "request_difference", "request_information", "case_resolved")
LOCALES = ("zh_CN", "en")
MAX_SUBJECT = 200
MAX_BODY = 8000
# After attempt n (1-based) fails, the next one waits BACKOFF[n - 1]; after the last, the message is DEAD.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=12))
MAX_ATTEMPTS = len(BACKOFF) + 1


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class MessageState(StrEnum):
    QUEUED = "QUEUED"
    SENDING = "SENDING"
    SENT = "SENT"
    FAILED = "FAILED"  # failed at least once, tried again at next_attempt_at
    DEAD = "DEAD"      # given up after MAX_ATTEMPTS


class RuleError(ValueError):
    """Input a rule refuses. `reason` is the English text with {named} values (a msgid of the catalogue,
    so pages show it in the reader's language); str() is the reason filled in."""

    def __init__(self, reason: str, **values: str) -> None:
        super().__init__(reason.format(**values))
        self.reason = reason
        self.values = values


def template_fields(text: str) -> list[str]:
    """The placeholder names a template uses, in order; RuleError when its braces do not parse."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as bad:
        raise RuleError("the template's braces do not match: write {{{{ and }}}} for a literal brace") from bad
    names = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if spec or conversion or not name.isidentifier():
            raise RuleError("placeholder {{{name}}} is not allowed: write a plain name such as {{case_number}}",
                            name=name or "")
        names.append(name)
    return names


def check_template(subject: str, body: str) -> None:
    """Refuse a template with an unknown placeholder (naming it), an empty body or a line break in the subject."""
    if not body.strip():
        raise RuleError("a template needs a body")
    if len(subject) > MAX_SUBJECT or len(body) > MAX_BODY:
        raise RuleError("a subject has at most {subject} characters and a body at most {body}",
                        subject=str(MAX_SUBJECT), body=str(MAX_BODY))
    if "\n" in subject or "\r" in subject:
        raise RuleError("a subject is one line")
    for name in [*template_fields(subject), *template_fields(body)]:
        if name not in PLACEHOLDERS:
            raise RuleError("unknown placeholder {{{name}}}; known: {known}", name=name,
                            known=", ".join(f"{{{known}}}" for known in sorted(PLACEHOLDERS)))


def refusal(error: RuleError) -> dict[str, object]:
    """The detail of the RecoupError a service raises for a RuleError (pages translate `reason`)."""
    return {"reason": error.reason, "values": error.values}


def fill(text: str, facts: Mapping[str, str]) -> str:
    """The template filled with the case facts (a fact the case lacks reads as "-")."""
    values = {name: facts.get(name) or "-" for name in template_fields(text)}
    return text.format(**values)


NOT_EMAIL = "not an e-mail address (like name@example.com, one @, no spaces)"
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def normalise_email(text: str) -> str:
    address = text.strip()
    if len(address) > 254 or not _EMAIL.fullmatch(address) or ".." in address or address.startswith("."):
        raise RuleError(NOT_EMAIL)
    local, _, domain = address.partition("@")
    if len(local) > 64 or domain.startswith("-") or domain.endswith("-"):
        raise RuleError(NOT_EMAIL)
    return f"{local}@{domain.lower()}"


_SEPARATORS = re.compile(r"[\s\-()]")


def normalise_phone(text: str) -> str:
    """+8613800138000 from "+86 138 0013 8000", "13800138000" or "+86-13800138000"."""
    digits = _SEPARATORS.sub("", text.strip())
    if re.fullmatch(r"1\d{10}", digits):
        return f"+86{digits}"
    if re.fullmatch(r"\+[1-9]\d{7,14}", digits):
        return digits
    raise RuleError("not a phone number: an international number (+ and 8 to 15 digits) or an 11-digit "
                    "mobile number starting with 1")


def normalise_address(channel: Channel, text: str) -> str:
    return normalise_email(text) if channel is Channel.EMAIL else normalise_phone(text)


def parse_channel(text: str) -> Channel:
    try:
        return Channel(text.strip().lower())
    except ValueError as bad:
        raise RuleError("unknown channel {channel}: email or sms", channel=repr(text)) from bad


def mask(address: str) -> str:
    """z***@example.com, +86138****8000: enough to recognise, not enough to use."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    if len(address) >= 10:
        return f"{address[:-8]}****{address[-4:]}"
    return "****" + address[-2:]


def next_attempt(attempts: int, failed_at: datetime) -> datetime | None:
    """When to try again after `attempts` failed attempts; None: give up (the message is DEAD)."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return failed_at + BACKOFF[max(attempts, 1) - 1]
