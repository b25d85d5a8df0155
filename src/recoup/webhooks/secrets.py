"""Webhook signing secrets sealed at rest with the key ring's data key.

The same AES-GCM sealing as customer contacts (recoup.keys.sealing: `v2.<key id>.…`, readable after
a key rotation); the endpoint's id is the associated data, so a sealed secret copied onto another
endpoint does not open.
"""

from __future__ import annotations

from recoup.errors import RecoupError
from recoup.keys.ring import KeyRing
from recoup.keys.sealing import SealedUnreadable, Sealer


class SecretUnreadable(RecoupError):
    """The stored secret opens with no data key of the ring (key file lost, or the key changed without a reseal)."""


def secret_context(endpoint_id: int) -> str:
    return f"webhook-endpoint:{endpoint_id}"


def seal_secret(keys: KeyRing | Sealer, endpoint_id: int, secret: str) -> str:
    sealer = keys if isinstance(keys, Sealer) else Sealer(keys)
    sealed = sealer.seal(secret, secret_context(endpoint_id))
    assert sealed is not None  # a secret is never empty
    return sealed


def open_secret(keys: KeyRing | Sealer, endpoint_id: int, sealed: str) -> str:
    sealer = keys if isinstance(keys, Sealer) else Sealer(keys)
    try:
        opened = sealer.open(sealed, secret_context(endpoint_id))
    except SealedUnreadable as error:
        raise SecretUnreadable(f"the signing secret of webhook {endpoint_id} does not open: {error.message}") from error
    if not opened:
        raise SecretUnreadable(f"the signing secret of webhook {endpoint_id} is empty")
    return opened
