"""Argon2 password hashing and API token minting."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
TOKEN_PREFIX = "rcp_"


def hash_password(password: str) -> str:
    return str(_hasher.hash(password))


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


class _DummyHash:
    """A hash of a random password, made with the current parameters (remade when they change)."""

    hasher: PasswordHasher | None = None
    value = ""


def dummy_hash() -> str:
    """Verified against when the user is unknown or disabled, so that such a login costs the same Argon2
    work as a known user's: the answer's time tells nothing about which usernames exist."""
    if _DummyHash.hasher is not _hasher:
        _DummyHash.value = str(_hasher.hash(secrets.token_urlsafe(24)))
        _DummyHash.hasher = _hasher
    return _DummyHash.value


def new_api_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
