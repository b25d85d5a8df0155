"""Chaining and checking the audit trail (SPEC section 9: an altered or removed entry is detected).

Pure: no database, no files. Each entry's `hash` is an HMAC-SHA256, under the audit key named by its
`key_id`, over the previous entry's hash and the entry's fields; entries written before migration 0002
have key_id "" and a plain SHA-256 link. A checkpoint (sequence, hash, time, key id) is signed with the
audit key and kept outside the database; `verify_chain` checks that every checkpoint still matches the
chain, so removing, editing or rebuilding entries up to the last checkpoint is caught even by someone
who can rewrite the whole database. Called by `recoup.audit.service` (verify) and
`recoup.audit.checkpoints` (signing).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

GENESIS = "0" * 64
LEGACY_KEY_ID = ""  # entries chained by plain SHA-256 before migration 0002

SecretFor = Callable[[str], bytes | None]  # key id -> the audit key's secret, None when unknown


def _no_keys(_key_id: str) -> bytes | None:
    return None


def entry_hash(prev_hash: str, fields: dict[str, object], secret: bytes | None = None) -> str:
    """The link of one entry: HMAC-SHA256 under `secret`, or plain SHA-256 for a legacy entry."""
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    message = (prev_hash + canonical).encode()
    if secret is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainLink:
    seq: int
    prev_hash: str
    hash: str
    fields: dict[str, object]
    key_id: str = LEGACY_KEY_ID


@dataclass(frozen=True)
class ChainBreak:
    """Where the trail broke (the entry's sequence number; 0 when a checkpoint itself is bad) and why."""

    seq: int
    reason: str


@dataclass(frozen=True)
class Checkpoint:
    """What the chain looked like at `at`: entry `seq` had `hash`. `scope` is "all" for the operator's
    checkpoint of the whole chain, "tenant:<id>" for the one sent to a tenant's webhooks."""

    seq: int
    hash: str
    at: str
    key_id: str
    mac: str = ""
    scope: str = "all"
    line: int = 0  # where it was read from (1-based line of the checkpoint file); 0 = not read from a file

    def where(self) -> str:
        return f"checkpoint line {self.line} (written {self.at})" if self.line else f"checkpoint of {self.at}"


def _checkpoint_message(checkpoint: Checkpoint) -> bytes:
    return (f"recoup-audit-checkpoint|{checkpoint.scope}|{checkpoint.seq}|{checkpoint.hash}|{checkpoint.at}|"
            f"{checkpoint.key_id}").encode()


def sign_checkpoint(checkpoint: Checkpoint, secret: bytes) -> Checkpoint:
    return replace(checkpoint, mac=hmac.new(secret, _checkpoint_message(checkpoint), hashlib.sha256).hexdigest())


def check_checkpoints(checkpoints: Iterable[Checkpoint], secret_for: SecretFor) -> ChainBreak | None:
    """The first checkpoint whose signature does not hold (forged, altered, or under an unknown key)."""
    for checkpoint in checkpoints:
        secret = secret_for(checkpoint.key_id)
        if secret is None:
            return ChainBreak(0, f"{checkpoint.where()} is signed with audit key {checkpoint.key_id!r}, "
                                 "which is not in the key ring (forged, or the key file was lost)")
        if not hmac.compare_digest(sign_checkpoint(checkpoint, secret).mac, checkpoint.mac):
            return ChainBreak(0, f"{checkpoint.where()} was altered or forged (its signature does not match)")
    return None


class _Walk:
    """The state of one walk along the chain, from entry 1 on."""

    def __init__(self, secret_for: SecretFor, checkpoints: Sequence[Checkpoint]) -> None:
        self.secret_for = secret_for
        self.expected_seq = 1
        self.expected_prev = GENESIS
        self.keyed_seen = False
        self.marks: dict[int, list[Checkpoint]] = {}
        for checkpoint in checkpoints:
            self.marks.setdefault(checkpoint.seq, []).append(checkpoint)
        # Legacy (unkeyed) entries predate the first checkpoint; one after it was written by someone else.
        self.legacy_limit = min((c.seq for c in checkpoints), default=None)

    def step(self, link: ChainLink) -> ChainBreak | None:
        if link.seq != self.expected_seq:
            if link.seq > self.expected_seq:
                return ChainBreak(self.expected_seq, f"entry {self.expected_seq} is missing (removed)")
            return ChainBreak(link.seq, f"entry {link.seq} is out of order")
        if link.prev_hash != self.expected_prev:
            return ChainBreak(link.seq, f"entry {link.seq} does not follow entry {link.seq - 1} (reordered or removed)")
        found = self._check_hash(link) or self._check_marks(link)
        if found is None:
            self.expected_prev = link.hash
            self.expected_seq += 1
        return found

    def _check_hash(self, link: ChainLink) -> ChainBreak | None:
        if link.key_id == LEGACY_KEY_ID:
            after_checkpoint = self.legacy_limit is not None and link.seq > self.legacy_limit
            if self.keyed_seen or after_checkpoint:
                return ChainBreak(link.seq, f"entry {link.seq} is chained by plain SHA-256, without the audit key, "
                                            "after keyed entries or checkpoints: the chain was rebuilt")
            secret = None
        else:
            self.keyed_seen = True
            secret = self.secret_for(link.key_id)
            if secret is None:
                return ChainBreak(link.seq, f"entry {link.seq} names audit key {link.key_id!r}, which is not in the "
                                            "key ring (rebuilt under another key, or the key file was lost)")
        if not hmac.compare_digest(entry_hash(link.prev_hash, link.fields, secret), link.hash):
            return ChainBreak(link.seq, f"entry {link.seq} was altered (its content does not match its hash)")
        return None

    def _check_marks(self, link: ChainLink) -> ChainBreak | None:
        for checkpoint in self.marks.get(link.seq, ()):
            if checkpoint.hash != link.hash:
                return ChainBreak(link.seq, f"entry {link.seq} does not match {checkpoint.where()}: it was "
                                            "altered, replaced or the chain rebuilt")
        return None

    def finish(self) -> ChainBreak | None:
        """Entries a checkpoint saw that are no longer there (the trail was cut short)."""
        last = self.expected_seq - 1
        beyond = [checkpoint for checkpoint in self.marks.get(max(self.marks, default=0), ()) if checkpoint.seq > last]
        if not beyond:
            return None
        checkpoint = beyond[0]
        return ChainBreak(last + 1, f"entry {last + 1} is missing: {checkpoint.where()} recorded entry "
                                    f"{checkpoint.seq}, the trail now ends at entry {last} (removed from the end)")


def verify_chain(links: Iterable[ChainLink], secret_for: SecretFor = _no_keys,
                 checkpoints: Sequence[Checkpoint] = ()) -> ChainBreak | None:
    """Walk the chain in order; name the first entry that was altered, removed, reordered or rebuilt,
    or that no longer matches a checkpoint. Checkpoint signatures are checked by `check_checkpoints`."""
    walk = _Walk(secret_for, checkpoints)
    for link in links:
        found = walk.step(link)
        if found is not None:
            return found
    return walk.finish()
