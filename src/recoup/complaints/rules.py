"""What a complaint's facts may be, tracking codes, contacts and public rate limits (SPEC section 7).

Pure: no framework, no database. The public form, the staff form, the API and the CLI all read a
complaint's facts through `parse_facts`, so each refuses a bad value with the same message.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from recoup.errors import InvalidInput
from recoup.money import parse_minor
from recoup.transactions.pan_guard import mask_pans

CODE_BYTES = 24  # 192 random bits; url-safe base64 of 32 characters
CODE_PREFIX_LENGTH = 6
CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,64}")
CODE_LIFETIME = timedelta(days=180)  # a tracking code stops working this long after its complaint closed
MAX_DESCRIPTION = 4000
MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif",
               "application/pdf": "pdf", "image/heic": "heic"}
_EMAIL = re.compile(r"[^@\s<>\"']{1,64}@[^@\s<>\"']{1,190}\.[A-Za-z]{2,24}")
_PHONE = re.compile(r"\+?[0-9][0-9 -]{5,22}[0-9]")
_LAST4 = re.compile(r"[0-9]{4}")


def new_tracking_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode("utf-8", errors="replace")).hexdigest()


def looks_like_code(code: str) -> bool:
    return CODE_PATTERN.fullmatch(code.strip()) is not None


@dataclass(frozen=True)
class Facts:
    """What the complainant says happened, checked."""

    amount_minor: int | None
    currency: str
    occurred_at: datetime | None
    last4: str
    terminal_id: str
    description: str


def parse_facts(amount: str, when: str, last4: str, description: str, *, zone: str, currency: str = "CNY",
                terminal_id: str = "") -> Facts:
    """The form's texts as facts. `when` is local time of `zone` (an ISO date-time, "2026-12-01T14:30")."""
    text = mask_pans(description.strip())
    if not text:
        raise InvalidInput("tell us what happened")
    if len(text) > MAX_DESCRIPTION:
        raise InvalidInput(f"what happened: at most {MAX_DESCRIPTION} characters")
    minor = parse_minor(amount, currency) if amount.strip() else None
    if minor is not None and minor <= 0:
        raise InvalidInput("the amount must be more than zero")
    terminal = terminal_id.strip()
    if terminal and not re.fullmatch(r"[0-9A-Za-z]{1,8}", terminal):
        raise InvalidInput("the terminal number has at most 8 letters or digits")
    return Facts(minor, currency, parse_local_time(when, zone), check_last4(last4), terminal, text)


def check_last4(value: str) -> str:
    """Only the last four digits of a card, never more (a longer number is refused, not cut)."""
    digits = value.strip().replace(" ", "")
    if digits and _LAST4.fullmatch(digits) is None:
        raise InvalidInput("the card's last four digits: exactly 4 digits, never the whole card number")
    return digits


def parse_local_time(text: str, zone: str) -> datetime | None:
    value = text.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("the time of the payment: a date and time such as 2026-12-01 14:30") from None
    if not 2000 <= moment.year <= 2100:
        raise InvalidInput("the time of the payment: a date and time such as 2026-12-01 14:30")
    try:
        local = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {zone!r}") from None
    return moment.replace(tzinfo=local) if moment.tzinfo is None else moment


@dataclass(frozen=True)
class Contact:
    kind: str  # "email" or "sms"
    value: str
    masked: str


def parse_contact(text: str) -> Contact | None:
    """An e-mail address or a phone number, or None when left empty."""
    value = text.strip()
    if not value:
        return None
    if _EMAIL.fullmatch(value):
        name, _, domain = value.partition("@")
        return Contact("email", value, f"{name[:1]}***@{domain}")
    if _PHONE.fullmatch(value):
        digits = re.sub(r"[^0-9+]", "", value)
        return Contact("sms", digits, f"{digits[:3]}****{digits[-4:]}")
    raise InvalidInput("how to reach you: an e-mail address or a phone number (or leave it empty)")


def photo_kind(content_type: str, name: str, head: bytes) -> str:
    """The type of a slip photo: declared as an image or a PDF, and its first bytes agreeing."""
    declared = content_type.split(";")[0].strip().lower()
    if declared not in PHOTO_TYPES:
        raise InvalidInput("the photo of the slip must be an image (JPEG, PNG, WebP, GIF, HEIC) or a PDF")
    if len(name) > 200:
        raise InvalidInput("the photo's file name is too long")
    if not _SIGNATURES[declared](head):
        raise InvalidInput("the file's content is not what its type says: send the photo itself (JPEG, PNG, PDF...)")
    return declared


_SIGNATURES: dict[str, Callable[[bytes], bool]] = {
    "image/jpeg": lambda head: head.startswith(b"\xff\xd8\xff"),
    "image/png": lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/gif": lambda head: head[:6] in (b"GIF87a", b"GIF89a"),
    "image/webp": lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP",
    "image/heic": lambda head: head[4:8] == b"ftyp",
    "application/pdf": lambda head: head.startswith(b"%PDF-"),
}


@dataclass(frozen=True)
class RateLimits:
    """Public complaints per client address and per merchant within one window."""

    per_address: int = 5
    per_merchant: int = 50
    window: timedelta = timedelta(hours=1)


def within_window(started_at: datetime, now: datetime, limits: RateLimits) -> bool:
    return started_at <= now < started_at + limits.window
