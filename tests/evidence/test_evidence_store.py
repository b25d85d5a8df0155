"""Evidence files on disk: encrypted in chunks, addressed by tenant and hash, never overwritten, checked."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from recoup.evidence.store import (
    CHUNK_BYTES,
    EvidenceUnreadable,
    address,
    evidence_path,
    read_decrypted,
    write_encrypted,
)
from recoup.keys.ring import Key, KeyRing

OLD = Key("data", "old-key", b"o" * 32)
NEW = Key("data", "new-key", b"n" * 32)


def _ring(*keys: Key) -> KeyRing:
    return KeyRing(keys, {"data": keys[-1].id})


def _store(folder: Path, content: bytes, key: Key = OLD, tenant: int = 1) -> str:
    where = address(tenant, hashlib.sha256(content).hexdigest())
    chunks = [content[i:i + CHUNK_BYTES] for i in range(0, len(content), CHUNK_BYTES)]
    write_encrypted(folder, where, chunks, key)
    return where


def test_a_file_of_several_chunks_reads_back_exactly_and_is_not_plaintext_on_disk(tmp_path: Path) -> None:
    content = os.urandom(100) + b"RECEIPT-TEXT-" * 200_000  # 2.6 MB: three chunks
    where = _store(tmp_path, content)
    on_disk = evidence_path(tmp_path, where).read_bytes()
    assert b"RECEIPT-TEXT-" not in on_disk
    assert content[:100] not in on_disk
    assert evidence_path(tmp_path, where).stat().st_mode & 0o777 == 0o600
    parts = list(read_decrypted(tmp_path, where, _ring(OLD)))
    assert len(parts) == 3
    assert b"".join(parts) == content


def test_the_same_content_is_never_written_again_and_tenants_get_separate_files(tmp_path: Path) -> None:
    where = _store(tmp_path, b"slip photo")
    first = evidence_path(tmp_path, where).read_bytes()
    assert write_encrypted(tmp_path, where, [b"slip photo"], NEW) == "old-key"  # the stored file keeps its key
    assert evidence_path(tmp_path, where).read_bytes() == first
    assert _store(tmp_path, b"slip photo", tenant=2) != where
    assert not list(evidence_path(tmp_path, where).parent.glob(".*.part"))


def test_a_file_under_an_older_key_opens_after_rotation_and_not_without_that_key(tmp_path: Path) -> None:
    where = _store(tmp_path, b"call recording", OLD)
    assert b"".join(read_decrypted(tmp_path, where, _ring(OLD, NEW))) == b"call recording"
    with pytest.raises(EvidenceUnreadable, match="not in the key ring"):
        list(read_decrypted(tmp_path, where, _ring(NEW)))


@pytest.mark.parametrize("damage", ["flip", "cut", "missing"])
def test_an_altered_cut_or_missing_file_is_refused_never_returned(tmp_path: Path, damage: str) -> None:
    where = _store(tmp_path, b"x" * (CHUNK_BYTES + 10))
    path = evidence_path(tmp_path, where)
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[-5] ^= 1
        path.write_bytes(bytes(data))
    elif damage == "cut":
        path.write_bytes(bytes(data[: len(data) - (10 + 16 + 12 + 4)]))  # the last chunk removed whole
    else:
        path.unlink()
    with pytest.raises(EvidenceUnreadable):
        list(read_decrypted(tmp_path, where, _ring(OLD)))
