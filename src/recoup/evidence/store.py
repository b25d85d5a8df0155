"""Evidence files on disk (SPEC section 7): encrypted with AES-256-GCM in chunks, addressed by SHA-256.

A file lives at `var_dir/evidence/<address[:2]>/<address>`, where the address is the SHA-256 of the
tenant and the plaintext's SHA-256: the same photo of two tenants makes two files, so no tenant can
learn from the disk (or a shared address) that another holds a file. The same content of one tenant
is stored once. A file is written to a private temporary name and linked into place (a link fails
when the name exists), so a file is never overwritten; nothing here deletes one.

Format: `RCPEV1\\n`, one byte of key id length, the key id (a "data" key of the ring), then chunks of
at most 1 MiB of plaintext, each `length (4 bytes) | nonce (12) | ciphertext+tag`. Each chunk's
associated data is the address, its index and whether it is the last, so chunks cannot be swapped,
moved to another file or cut off the end unnoticed. Reading streams chunk by chunk; a file written
under an older data key opens with that key (kept in the ring after a rotation).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from recoup.errors import RecoupError
from recoup.keys.ring import Key, KeyRing, UnknownKey

MAGIC = b"RCPEV1\n"
CHUNK_BYTES = 1024 * 1024
NONCE_BYTES = 12
_LABEL = b"recoup evidence v1 (AES-256-GCM)"
FOLDER_MODE, FILE_MODE = 0o700, 0o600


class EvidenceUnreadable(RecoupError):
    """A stored file that is missing, altered or under a key the ring no longer holds."""

    status = 500


def address(tenant_id: int, sha256: str) -> str:
    return hashlib.sha256(f"recoup-evidence:{tenant_id}:{sha256}".encode()).hexdigest()


def evidence_path(var_dir: Path, file_address: str) -> Path:
    return var_dir / "evidence" / file_address[:2] / file_address


def _cipher(key: Key) -> AESGCM:
    return AESGCM(hmac.new(key.secret, _LABEL, hashlib.sha256).digest())


def _aad(file_address: str, index: int, last: bool) -> bytes:
    return file_address.encode() + index.to_bytes(8, "big") + (b"\x01" if last else b"\x00")


def chunks_of(stream: BinaryIO, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    while chunk := stream.read(size):
        yield chunk


def _with_last(chunks: Iterable[bytes]) -> Iterator[tuple[bytes, bool]]:
    """Each chunk and whether it is the last (an empty input gives one empty last chunk)."""
    previous: bytes | None = None
    for chunk in chunks:
        if previous is not None:
            yield previous, False
        previous = chunk
    yield previous or b"", True


def _folder(path: Path) -> None:
    for folder in (path.parent.parent, path.parent):
        folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)


def write_encrypted(var_dir: Path, file_address: str, chunks: Iterable[bytes], key: Key) -> str:
    """Store the plaintext under `file_address` unless a file is there already; returns the id of the key
    the stored file is under (an existing file keeps its own: it is never written again)."""
    target = evidence_path(var_dir, file_address)
    if target.exists():
        return stored_key_id(target)
    _folder(target)
    partial = target.parent / f".{file_address}.{secrets.token_hex(8)}.part"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        with os.fdopen(os.open(partial, flags, FILE_MODE), "wb") as handle:
            _write(handle, file_address, chunks, key)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(partial, target)
        except FileExistsError:  # written meanwhile by another upload of the same content: theirs stays
            pass
    finally:
        partial.unlink(missing_ok=True)
    return stored_key_id(target)


def _write(handle: BinaryIO, file_address: str, chunks: Iterable[bytes], key: Key) -> None:
    key_id = key.id.encode()
    handle.write(MAGIC + bytes([len(key_id)]) + key_id)
    cipher = _cipher(key)
    for index, (chunk, last) in enumerate(_with_last(chunks)):
        nonce = os.urandom(NONCE_BYTES)
        sealed = nonce + cipher.encrypt(nonce, chunk, _aad(file_address, index, last))
        handle.write(len(sealed).to_bytes(4, "big") + sealed)


def _header(handle: BinaryIO, path: Path) -> str:
    if handle.read(len(MAGIC)) != MAGIC:
        raise EvidenceUnreadable(f"the evidence file {path.name} is not in the vault's format")
    length = handle.read(1)
    key_id = handle.read(length[0]) if length else b""
    if not key_id:
        raise EvidenceUnreadable(f"the evidence file {path.name} names no key")
    return key_id.decode("ascii", errors="replace")


def stored_key_id(path: Path) -> str:
    with path.open("rb") as handle:
        return _header(handle, path)


def read_decrypted(var_dir: Path, file_address: str, ring: KeyRing) -> Iterator[bytes]:
    """The plaintext, one chunk at a time (checked chunk by chunk, and that none is missing at the end)."""
    path = evidence_path(var_dir, file_address)
    if not path.is_file():
        raise EvidenceUnreadable(f"the evidence file {file_address[:12]} is missing from the data folder")
    return _chunks(path, file_address, ring)


def _chunks(path: Path, file_address: str, ring: KeyRing) -> Iterator[bytes]:
    with path.open("rb") as handle:
        key_id = _header(handle, path)
        try:
            cipher = _cipher(ring.get("data", key_id))
        except UnknownKey as missing:
            raise EvidenceUnreadable(f"the evidence file {file_address[:12]} is under data key {key_id!r}, "
                                     "which is not in the key ring") from missing
        index = 0
        while True:
            length = handle.read(4)
            sealed = handle.read(int.from_bytes(length, "big")) if len(length) == 4 else b""
            if len(sealed) <= NONCE_BYTES:
                raise EvidenceUnreadable(f"the evidence file {file_address[:12]} is cut short")
            last = handle.peek(1)[:1] == b""
            yield _open_chunk(cipher, sealed, _aad(file_address, index, last), file_address)
            if last:
                return
            index += 1


def _open_chunk(cipher: AESGCM, sealed: bytes, aad: bytes, file_address: str) -> bytes:
    try:
        return cipher.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
    except InvalidTag as altered:
        raise EvidenceUnreadable(f"the evidence file {file_address[:12]} was altered (its check fails)") from altered
