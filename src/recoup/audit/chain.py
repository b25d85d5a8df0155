"""Hash chaining of audit entries. Pure: the same fields always give the same hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

GENESIS = "0" * 64


def entry_hash(prev_hash: str, fields: dict[str, object]) -> str:
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


@dataclass(frozen=True)
class ChainLink:
    seq: int
    prev_hash: str
    hash: str
    fields: dict[str, object]


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def verify_chain(links: Iterable[ChainLink]) -> ChainBreak | None:
    """Walk the chain in order; name the first entry that was altered, removed or reordered."""
    expected_prev = GENESIS
    expected_seq = 1
    for link in links:
        if link.seq != expected_seq:
            if link.seq > expected_seq:
                return ChainBreak(expected_seq, f"entry {expected_seq} is missing (removed)")
            return ChainBreak(link.seq, f"entry {link.seq} is out of order")
        if link.prev_hash != expected_prev:
            return ChainBreak(link.seq, f"entry {link.seq} does not follow entry {link.seq - 1} (reordered or removed)")
        if entry_hash(link.prev_hash, link.fields) != link.hash:
            return ChainBreak(link.seq, f"entry {link.seq} was altered (its content does not match its hash)")
        expected_prev = link.hash
        expected_seq += 1
    return None
