"""The key file in the data folder: generated on first start (mode 0600), rotated by `recoup keys rotate`.

Keys given in the environment (RECOUP_SECRET_KEY, RECOUP_CARD_TOKEN_KEY, RECOUP_DATA_KEY,
RECOUP_AUDIT_KEY) win over the file's current key for their purpose; the file's keys stay readable,
so what was sealed, tokened or signed under them still opens. Writes go through a temporary file
and a rename under an exclusive lock, so two processes starting at once agree on one key set.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from recoup.errors import RecoupError
from recoup.keys.ring import MIN_KEY_BYTES, PURPOSES, Key, KeyRing, UnknownKey, text_key

if TYPE_CHECKING:
    from recoup.config import Settings

KEY_FILE = "keyring.json"
NEW_KEY_BYTES = 32
ENV_VARIABLES = {"session": "RECOUP_SECRET_KEY", "card": "RECOUP_CARD_TOKEN_KEY", "data": "RECOUP_DATA_KEY",
                 "audit": "RECOUP_AUDIT_KEY"}


class KeyFileUnreadable(RecoupError):
    status = 500


def key_folder(settings: Settings) -> Path:
    return settings.var_dir / "keys"


def env_secret(settings: Settings, purpose: str) -> str:
    return {"session": settings.secret_key, "card": settings.card_token_key, "data": settings.data_key,
            "audit": settings.audit_key}[purpose]


def key_file_stamp(settings: Settings) -> tuple[int, ...] | None:
    """What changes when the key file is rewritten (a rotation); None before it exists."""
    try:
        found = os.stat(key_folder(settings) / KEY_FILE)
    except FileNotFoundError:
        return None
    return found.st_ino, found.st_mtime_ns, found.st_size


def load_keyring(settings: Settings, now: datetime | None = None) -> KeyRing:
    """The keys of the data folder (generating what is missing) with the environment's on top."""
    with _locked(key_folder(settings)) as folder:
        stored = _read(folder)
        missing = [purpose for purpose in PURPOSES if purpose not in stored["current"]]
        for purpose in missing:
            _add_new(stored, purpose, now)
        if missing:
            _write(folder, stored)
    keys, current = _decode(stored)
    for purpose in PURPOSES:
        secret = env_secret(settings, purpose)
        if secret:
            key = text_key(purpose, secret)
            keys.append(key)
            current[purpose] = key.id
    return KeyRing(keys, current)


def rotate(settings: Settings, purpose: str, now: datetime | None = None) -> Key:
    """A new random current key for `purpose` in the key file; the old ones stay for reading.

    The file is replaced atomically and synced before this returns, so whatever is sealed under the
    new key afterwards can always be opened."""
    if purpose not in PURPOSES:
        raise UnknownKey(f"no key purpose {purpose!r}: one of {', '.join(PURPOSES)}", status=400)
    with _locked(key_folder(settings)) as folder:
        stored = _read(folder)
        key = _add_new(stored, purpose, now)
        _write(folder, stored)
    return key


def weak_keys(ring: KeyRing) -> list[str]:
    """Purposes whose current key is shorter than the minimum (`serve` refuses to start on them)."""
    return [purpose for purpose in PURPOSES if len(ring.current(purpose).secret) < MIN_KEY_BYTES]


def _add_new(stored: dict[str, dict[str, object]], purpose: str, now: datetime | None) -> Key:
    moment = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
    key_id = f"{purpose[0]}{moment}-{secrets.token_hex(3)}"
    secret = secrets.token_bytes(NEW_KEY_BYTES)
    stored["keys"][f"{purpose}/{key_id}"] = {"purpose": purpose, "id": key_id, "created_at": moment,
                                             "secret": base64.b64encode(secret).decode()}
    stored["current"][purpose] = key_id
    return Key(purpose, key_id, secret, moment)


def _decode(stored: dict[str, dict[str, object]]) -> tuple[list[Key], dict[str, str]]:
    keys = []
    for item in stored["keys"].values():
        assert isinstance(item, dict)
        keys.append(Key(str(item["purpose"]), str(item["id"]), base64.b64decode(str(item["secret"])),
                        str(item.get("created_at", ""))))
    return keys, {purpose: str(key_id) for purpose, key_id in stored["current"].items()}


def _read(folder: Path) -> dict[str, dict[str, object]]:
    path = folder / KEY_FILE
    if not path.exists():
        return {"keys": {}, "current": {}}
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
        return {"keys": dict(loaded["keys"]), "current": dict(loaded["current"])}
    except (OSError, ValueError, KeyError, TypeError) as broken:  # never overwritten: its keys open the data
        raise KeyFileUnreadable(f"the key file {path} cannot be read ({type(broken).__name__}: {broken}); restore "
                                "it from a backup: what was sealed under its keys opens with no other") from broken


def _write(folder: Path, stored: dict[str, dict[str, object]]) -> None:
    temporary = folder / f".{KEY_FILE}.{os.getpid()}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump(stored, out, indent=1, sort_keys=True)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, folder / KEY_FILE)
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself is durable before anything is sealed under the new key
    finally:
        os.close(directory)


@contextmanager
def _locked(folder: Path) -> Iterator[Path]:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    descriptor = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield folder
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)
