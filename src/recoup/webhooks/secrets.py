"""Webhook signing secrets sealed at rest with the settings' data key.

The same AES-GCM sealing as customer contacts (recoup.transactions.contacts); the endpoint's id is
the associated data, so a sealed secret copied onto another endpoint does not open.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag

from recoup.errors import RecoupError
from recoup.transactions.contacts import ContactSealer


class SecretUnreadable(RecoupError):
    """The stored secret does not open with the current data key (changed without re-sealing)."""


def _context(endpoint_id: int) -> str:
    return f"webhook-endpoint:{endpoint_id}"


def seal_secret(data_key: str, endpoint_id: int, secret: str) -> str:
    sealed = ContactSealer(data_key).seal(secret, _context(endpoint_id))
    assert sealed is not None  # a secret is never empty
    return sealed


def open_secret(data_key: str, endpoint_id: int, sealed: str) -> str:
    try:
        opened = ContactSealer(data_key).open(sealed, _context(endpoint_id))
    except (InvalidTag, ValueError):
        opened = None
    if not opened:
        raise SecretUnreadable(f"the signing secret of webhook {endpoint_id} does not open with the data key "
                               "(RECOUP_DATA_KEY changed?)")
    return opened
