"""Customer contacts (personal data) sealed at rest with AES-256-GCM under a key from the settings.

The sealed form is `v1.` + base64url(nonce || ciphertext+tag); the order number is the associated
data, so a contact cannot be moved to another order unnoticed.
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1."
_NONCE_BYTES = 12


def _cipher(data_key: str) -> AESGCM:
    return AESGCM(hashlib.sha256(data_key.encode()).digest())


class ContactSealer:
    """Seals many contacts under one key (the key is derived once)."""

    def __init__(self, data_key: str) -> None:
        self._aead = _cipher(data_key)

    def seal(self, contact: str | None, order_no: str) -> str | None:
        if not contact:
            return None
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, contact.encode(), order_no.encode())
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, sealed: str | None, order_no: str) -> str | None:
        if not sealed:
            return None
        raw = base64.urlsafe_b64decode(sealed.removeprefix(PREFIX))
        return self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], order_no.encode()).decode()
