"""Customer contacts (personal data) sealed at rest with AES-256-GCM under the key ring's data key.

The sealing itself (forms `v2.<key id>.…` and the older `v1.…`, rotation) is `recoup.keys.sealing`;
for a contact the order number is the associated data, so a contact cannot be moved to another order
unnoticed.
"""

from __future__ import annotations

from recoup.keys.sealing import Sealer


class ContactSealer(Sealer):
    """Seals many contacts under the current data key: `seal(contact, order_no)`, `open(sealed, order_no)`."""
