"""The lock that guards "refunds and voids of a sale never exceed it" (SPEC section 6, DESIGN habit 14).

The invariant is about a sale (tenant, merchant, RRN), not about the case that asks: two cases
that concern the same sale (a duplicate charge and an overcharge, a case opened by hand with
`--rrn`) must not both pass the limit check at once. So whoever records a card-side action, or
makes a failed one count again, first calls `lock_sale` in the same transaction, before it reads
what the sale already gives back (`recoup.recovery.plans.prior_actions`), and keeps the lock
until it commits.

PostgreSQL: a transaction-scoped advisory lock on a stable 64-bit hash of the sale's key (a hash
collision only serialises two unrelated sales). SQLite: its single writer (`BEGIN IMMEDIATE`,
`recoup.db.exclusive`). Callers take the case lock before the sale lock, never the other way
round, so the two cannot deadlock.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.orm import Session

from recoup.db import exclusive

NAMESPACE = "recoup.sale:"


def sale_lock_id(tenant_id: int, merchant_id: str, rrn: str) -> int:
    """A stable signed 64-bit number for the sale (the same in every process and on every version)."""
    key = f"{NAMESPACE}{tenant_id}:{merchant_id.strip()}:{rrn.strip()}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big", signed=True)


def lock_sale(session: Session, tenant_id: int, merchant_id: str, rrn: str) -> None:
    """Serialise this transaction with every other one that acts on the same sale, until it ends."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": sale_lock_id(tenant_id, merchant_id, rrn)})
    else:
        exclusive(session)
