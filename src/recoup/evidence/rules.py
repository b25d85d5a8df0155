"""What the evidence vault accepts (SPEC section 7): kinds, their size limits, and types told by content.

Pure: no framework import. `recoup.evidence.service` calls `check_upload` on the first bytes of a file
(and its size) before anything is stored; a name says nothing about a file's type here, its bytes do
(an `.exe` renamed `.jpg` starts with "MZ" and is refused whatever its name).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MIB = 1024 * 1024
SNIFF_BYTES = 64 * 1024  # how much of the start of a file the type is told from

UPLOAD_KINDS = ("receipt", "slip", "photo", "chat", "call", "document", "other")
MESSAGE_KINDS = ("message", "reply")  # e-mails/SMS sent and payers' replies (the messaging domain)
KINDS = UPLOAD_KINDS + MESSAGE_KINDS
RECORD_KIND = "record"  # derived items: a note, a recovery action (never a stored file)

IMAGES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/heic"})
AUDIO = frozenset({"audio/mpeg", "audio/mp4", "audio/wav", "audio/amr", "audio/ogg"})
TEXTS = frozenset({"text/plain", "application/json", "message/rfc822"})
PDF, ZIP = "application/pdf", "application/zip"

ACCEPTED: dict[str, frozenset[str]] = {
    "receipt": IMAGES | {PDF},
    "slip": IMAGES | {PDF},
    "photo": IMAGES,
    "chat": IMAGES | TEXTS | {PDF, ZIP},
    "call": AUDIO,
    "document": IMAGES | TEXTS | {PDF, ZIP},
    "other": IMAGES | AUDIO | TEXTS | {PDF, ZIP},
    "message": IMAGES | TEXTS | {PDF},
    "reply": IMAGES | TEXTS | {PDF},
}
MAX_BYTES: dict[str, int] = {
    "receipt": 15 * MIB, "slip": 15 * MIB, "photo": 15 * MIB, "chat": 20 * MIB, "call": 100 * MIB,
    "document": 50 * MIB, "other": 50 * MIB, "message": 10 * MIB, "reply": 10 * MIB,
}
# What a person reads of each accepted group (English msgids of the UI catalogue).
DESCRIBED = {"image/": "images", "audio/": "audio recordings", PDF: "PDF", ZIP: "ZIP-based documents",
             "text/plain": "plain text", "application/json": "JSON", "message/rfc822": "e-mails"}
PROGRAMS = (b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"#!")
_MAIL_HEADER = re.compile(rb"^(From|To|Cc|Reply-To|Subject|Date|Received|Return-Path|MIME-Version|Message-ID|"
                          rb"Content-Type|Content-Transfer-Encoding):", re.I)
_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
               "image/heic": ".heic", "audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/wav": ".wav",
               "audio/amr": ".amr", "audio/ogg": ".ogg", "text/plain": ".txt", "application/json": ".json",
               "message/rfc822": ".eml", PDF: ".pdf", ZIP: ".zip"}


@dataclass(frozen=True)
class Refusal:
    """Why a file is refused: an English msgid with its values (translated where it is shown)."""

    message: str
    values: dict[str, str]

    def english(self) -> str:
        return self.message.format(**self.values)


def sniff(head: bytes) -> str:
    """The content type the first bytes of a file show ("" when none Recoup accepts)."""
    for rule in (_image, _audio, _document):
        found = rule(head)
        if found:
            return found
    return _text(head)


def _image(head: bytes) -> str:
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"):
        return "image/heic"
    return ""


def _audio(head: bytes) -> str:
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06):
        return "audio/mpeg"
    if head[4:8] == b"ftyp" and head[8:11] in (b"M4A", b"M4B", b"mp4", b"iso", b"MSN", b"3gp"):
        return "audio/mp4"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith((b"#!AMR\n", b"#!AMR-WB\n")):
        return "audio/amr"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    return ""


def _document(head: bytes) -> str:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return ZIP
    return ""


def _text(head: bytes) -> str:
    if not head or head.startswith(PROGRAMS) or b"\x00" in head:
        return ""
    body = head.removeprefix(b"\xef\xbb\xbf")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as cut:
        if cut.start < len(body) - 3:  # only a character cut at the end of the sniffed part is forgiven
            return ""
        text = body[:cut.start].decode("utf-8")
    if any(unicodedata.category(c) == "Cc" and c not in "\t\r\n\f" for c in text):
        return ""
    if _MAIL_HEADER.match(body):
        return "message/rfc822"
    return "application/json" if text.lstrip()[:1] in ("{", "[") else "text/plain"


def accepted_words(kind: str) -> str:
    """The groups a kind accepts, as msgids joined by ", " (for the refusal's message)."""
    words = dict.fromkeys(text for prefix, text in DESCRIBED.items()
                          for found in sorted(ACCEPTED[kind]) if found.startswith(prefix))
    return ", ".join(words)


def check_upload(kind: str, size: int, head: bytes) -> tuple[str, Refusal | None]:
    """(content type, None) when a file of `kind` may be stored, else ("", why not)."""
    if kind not in ACCEPTED:
        return "", Refusal("unknown evidence kind {kind}: use one of {kinds}",
                           {"kind": kind, "kinds": ", ".join(UPLOAD_KINDS)})
    if size <= 0:
        return "", Refusal("the file is empty", {})
    if size > MAX_BYTES[kind]:
        return "", Refusal("the file is too large for kind {kind}: {size}, at most {limit}",
                           {"kind": kind, "size": readable_size(size), "limit": readable_size(MAX_BYTES[kind])})
    found = sniff(head)
    if found in ACCEPTED[kind]:
        return found, None
    if not found and head.startswith(PROGRAMS):
        return "", Refusal("the file is a program, not evidence: it is refused whatever its name", {})
    return "", Refusal("the file's content is not accepted for kind {kind} (accepted: {accepted})",
                       {"kind": kind, "accepted": accepted_words(kind)})


def safe_name(name: str, content_type: str = "") -> str:
    """The original file name without folders or control characters, at most 120 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    kept = (" " if unicodedata.category(c)[0] == "Z" else c for c in unicodedata.normalize("NFC", base)
            if unicodedata.category(c)[0] != "C")  # no control or format character; every space a plain one
    cleaned = "".join(kept)
    cleaned = cleaned.strip().lstrip(".").strip()
    if not cleaned:
        cleaned = "file" + _EXTENSIONS.get(content_type, "")
    if len(cleaned) > 120:
        stem, dot, extension = cleaned.rpartition(".")
        cleaned = (stem[: 119 - len(extension)] + dot + extension) if dot and len(extension) <= 10 else cleaned[:120]
    return cleaned


def is_image(content_type: str) -> bool:
    return content_type in IMAGES and content_type != "image/heic"  # browsers show no HEIC


def readable_size(size: int) -> str:
    """1536 -> "1.5 KiB": a size as a person reads it."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} B"
