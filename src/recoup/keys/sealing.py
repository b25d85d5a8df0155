"""Small secrets at rest (customer contacts, webhook signing secrets) sealed with AES-256-GCM (SPEC section 9).

Pure: works on a `KeyRing` already loaded. The sealed form is `v2.<key id>.<base64url(nonce ||
ciphertext+tag)>` under the ring's current "data" key; the id says which key opens it, so after a
rotation what was sealed before still opens (older keys stay in the ring for reading). The form of
before key ids, `v1.<base64url>`, was sealed under SHA-256 of a text key (RECOUP_DATA_KEY); it opens
by trying every data key that way. The context (an order number, an endpoint) is the associated data,
so a sealed value copied onto another row does not open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from recoup.errors import RecoupError
from recoup.keys.ring import Key, KeyRing, UnknownKey

PREFIX_V1 = "v1."
PREFIX_V2 = "v2."
_NONCE_BYTES = 12
_V2_LABEL = b"recoup sealing v2 (AES-256-GCM)"


class SealedUnreadable(RecoupError):
    """A sealed value that no data key in the ring opens (key file lost, or RECOUP_DATA_KEY changed)."""

    status = 500


def _v2_cipher(key: Key) -> AESGCM:
    return AESGCM(hmac.new(key.secret, _V2_LABEL, hashlib.sha256).digest())


def _v1_cipher(key: Key) -> AESGCM:
    return AESGCM(hashlib.sha256(key.secret).digest())  # the derivation of the v1 form: SHA-256 of the text key


def _decode(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError) as bad:
        raise SealedUnreadable("a sealed value is not base64") from bad
    if len(raw) <= _NONCE_BYTES:
        raise SealedUnreadable("a sealed value is too short")
    return raw


class Sealer:
    """Seals under the current data key; opens under whichever data key a value names (or v1: any).

    `extra` keys are tried as well when opening (an old RECOUP_DATA_KEY no longer in the environment,
    given once to `recoup keys reseal`)."""

    def __init__(self, ring: KeyRing, extra: Sequence[Key] = ()) -> None:
        self._ring = ring
        self._current = ring.current("data")
        self._extra = {key.id: key for key in extra}
        self._ciphers: dict[str, AESGCM] = {}

    @property
    def current_id(self) -> str:
        return self._current.id

    def is_current(self, sealed: str) -> bool:
        """Sealed under the current data key already (nothing for a reseal to do)."""
        return sealed.startswith(f"{PREFIX_V2}{self._current.id}.")

    def seal(self, text: str | None, context: str) -> str | None:
        if not text:
            return None
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._cipher(self._current).encrypt(nonce, text.encode(), context.encode())
        return f"{PREFIX_V2}{self._current.id}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, sealed: str | None, context: str) -> str | None:
        if not sealed:
            return None
        if sealed.startswith(PREFIX_V2):
            key_id, _, body = sealed.removeprefix(PREFIX_V2).partition(".")
            key = self._extra.get(key_id) or self._data_key(key_id)
            return self._decrypt(self._cipher(key), _decode(body), context)
        if sealed.startswith(PREFIX_V1):
            raw = _decode(sealed.removeprefix(PREFIX_V1))
            for key in [*self._ring.all("data"), *self._extra.values()]:
                try:
                    return self._decrypt(_v1_cipher(key), raw, context)
                except SealedUnreadable:
                    continue
            raise SealedUnreadable("a v1 sealed value opens with no data key (was RECOUP_DATA_KEY changed?)")
        raise SealedUnreadable("a sealed value has an unknown form (neither v1. nor v2.)")

    def _data_key(self, key_id: str) -> Key:
        try:
            return self._ring.get("data", key_id)
        except UnknownKey as missing:
            raise SealedUnreadable(f"a value sealed under data key {key_id!r}, which is not in the key ring "
                                   "(key file lost, or RECOUP_DATA_KEY changed without a reseal?)") from missing

    def _cipher(self, key: Key) -> AESGCM:
        if key.id not in self._ciphers:
            self._ciphers[key.id] = _v2_cipher(key)
        return self._ciphers[key.id]

    @staticmethod
    def _decrypt(cipher: AESGCM, raw: bytes, context: str) -> str:
        try:
            return cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode()).decode()
        except InvalidTag as wrong:
            raise SealedUnreadable("a sealed value does not open with its data key (altered, or moved "
                                   "to another row)") from wrong
