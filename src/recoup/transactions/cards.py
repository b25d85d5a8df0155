"""Card numbers: a full PAN is masked and tokened at the door and never kept.

The token is HMAC-SHA256(key, PAN) in hex, the same as the ISO 8583 import, so two charges of one
card compare equal whatever file they came from. In bulk loads the HMAC is computed inside DuckDB
from its definition (two SHA-256 passes over the padded key), which keeps the PAN inside the load
query and is fast enough for millions of lines.
"""

from __future__ import annotations

import hashlib
import hmac
import re

PAN_PATTERN = r"[0-9]{12,19}"
MASKED_PATTERN = r"[0-9]{4,9}[*xX]{2,13}[0-9]{2,4}"
# The strict read's card (fields_sql `strict`): a PAN or a masked card, 12 to 19 characters (checked
# apart), in one regular expression a value instead of one for each form.
STRICT_CARD_PATTERN = f"{PAN_PATTERN}|{MASKED_PATTERN}"
_PAN = re.compile(PAN_PATTERN)
_MASKED = re.compile(MASKED_PATTERN)
_BLOCK_SIZE = 64  # SHA-256 block size in bytes


def clean_card(text: str) -> str:
    """Spaces and hyphens inside a card number carry nothing."""
    return text.strip().replace(" ", "").replace("-", "")


def is_full_pan(card: str) -> bool:
    return _PAN.fullmatch(card) is not None


def is_masked(card: str) -> bool:
    return _MASKED.fullmatch(card) is not None


def mask_pan(pan: str) -> str:
    """First six, a '*' for each middle digit, last four: the same length as the PAN."""
    return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]


def normalise_masked(card: str) -> str:
    return card.replace("x", "*").replace("X", "*")


def card_token(pan: str, key: bytes) -> str:
    return hmac.new(key, pan.encode("ascii"), hashlib.sha256).hexdigest()


def _hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    if len(key) > _BLOCK_SIZE:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK_SIZE, b"\0")
    inner = bytes(byte ^ 0x36 for byte in key)
    outer = bytes(byte ^ 0x5C for byte in key)
    return inner, outer


def token_sql(pan_expression: str, key: bytes) -> str:
    """DuckDB SQL computing `card_token(pan, key)` for a VARCHAR column of digits."""
    inner, outer = _hmac_pads(key)
    inner_hash = f"unhex(sha256(unhex('{inner.hex()}') || encode({pan_expression})))"
    return f"sha256(unhex('{outer.hex()}') || {inner_hash})"


def run_token_sql(pan_expression: str, key: bytes) -> str:
    """DuckDB SQL for a cheap 64-bit hash of PAN and key (UBIGINT) that tells cards apart within one run.

    Only for tokens that never leave the run (file reconciliation: the input file itself holds the PANs,
    the tokens live in the run's memory and private spill folder); stored tokens use `token_sql`. Two
    cards of one merchant, masked form and amount colliding in 64 bits is beyond any real risk."""
    return f"hash({pan_expression}, '{key.hex()}')"


def mask_sql(pan_expression: str) -> str:
    """DuckDB SQL for `mask_pan` (the PAN is known to be 12 to 19 digits, never NULL: concat reads NULL as
    ''): substr and concat cost about two thirds of left/right and `||`."""
    return (f"concat(substr({pan_expression}, 1, 6), repeat('*', length({pan_expression}) - 10), "
            f"substr({pan_expression}, length({pan_expression}) - 3))")
