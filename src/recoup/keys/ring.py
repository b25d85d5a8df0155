"""Secret keys by purpose, each with an id so it can be rotated (SPEC section 9: keys rotatable).

Pure: a `KeyRing` holds the keys already loaded; `recoup.keys.store` reads and writes them. Each
purpose has one current key (new tokens, ciphertexts, signatures and audit links use it) and any
number of older ones kept for reading what was made under them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from recoup.errors import RecoupError

# session: signs the browser's session cookie; card: HMAC that tokens card numbers; data: AES-GCM for
# personal data and stored secrets; audit: HMAC that chains the audit trail and signs its checkpoints.
PURPOSES = ("session", "card", "data", "audit")
MIN_KEY_BYTES = 32


class UnknownKey(RecoupError):
    status = 500


@dataclass(frozen=True)
class Key:
    purpose: str
    id: str
    secret: bytes
    created_at: str = ""
    source: str = "file"  # "file" (the data folder's key file) or "env" (RECOUP_* variable)


def text_key(purpose: str, text: str) -> Key:
    """A key given as text (an environment variable): its id is derived from it, so it is stable."""
    raw = text.encode()
    return Key(purpose, "env-" + hashlib.sha256(raw).hexdigest()[:10], raw, source="env")


class KeyRing:
    """The keys of every purpose; `current(purpose)` signs and seals, `get(purpose, id)` reads back."""

    @classmethod
    def from_texts(cls, texts: Mapping[str, str]) -> KeyRing:
        """A ring of one text key per purpose (tests, tools): {"data": "...", "card": "..."}."""
        keys = [text_key(purpose, text) for purpose, text in texts.items()]
        return cls(keys, {key.purpose: key.id for key in keys})

    def __init__(self, keys: Iterable[Key], current: dict[str, str]) -> None:
        self._keys = {(key.purpose, key.id): key for key in keys}
        self._current = dict(current)
        for purpose, key_id in self._current.items():
            if (purpose, key_id) not in self._keys:
                raise UnknownKey(f"the current {purpose} key {key_id!r} is not in the key ring")

    def current(self, purpose: str) -> Key:
        key_id = self._current.get(purpose)
        if key_id is None:
            raise UnknownKey(f"no {purpose} key: run `recoup keys rotate --purpose {purpose}`")
        return self._keys[(purpose, key_id)]

    def get(self, purpose: str, key_id: str) -> Key:
        key = self._keys.get((purpose, key_id))
        if key is None:
            raise UnknownKey(f"the {purpose} key {key_id!r} is not in the key ring (was the key file lost?)")
        return key

    def all(self, purpose: str) -> list[Key]:
        """Every key of the purpose, the current one first, then the newest older ones."""
        current = self._current.get(purpose)
        keys = [key for (kind, _), key in self._keys.items() if kind == purpose]
        return sorted(keys, key=lambda key: (key.id != current, _newest_first(key)))



def _newest_first(key: Key) -> str:
    return "".join(chr(0x10FFFF - ord(c)) for c in key.created_at)
