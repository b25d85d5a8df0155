"""Where uploaded files live while they are imported: a private folder under the data folder (SPEC section 9).

An upload may hold every card number of a day's journal, so it never goes to the system temp folder: each
file is created under `var_dir/uploads` (folder 0700, file 0600, O_EXCL, no symlink followed) and locked
with `flock` for as long as a request or a background import uses it. The owner removes it when the import
ends, whatever happens; `sweep_uploads` (at start-up of the server and the worker) removes what a killed
process left: every file older than the sweep that no live process holds locked.
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import time
from pathlib import Path
from typing import BinaryIO, cast

log = logging.getLogger(__name__)
FOLDER_MODE, FILE_MODE = 0o700, 0o600


def uploads_folder(var_dir: Path) -> Path:
    """The private folder of uploads (made 0700 if missing, tightened to 0700 if it was looser)."""
    folder = var_dir / "uploads"
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    if folder.stat().st_mode & 0o777 != FOLDER_MODE:
        folder.chmod(FOLDER_MODE)
    return folder


class PrivateFile:
    """One upload on disk, created 0600 with O_EXCL and locked until `release` (or the process dies)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / f"upload-{secrets.token_hex(12)}"
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        descriptor = os.open(self.path, flags, FILE_MODE)
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._lock = os.dup(descriptor)  # the lock outlives the handle below, closed by the form when it ends
        self.handle = cast(BinaryIO, os.fdopen(descriptor, "w+b"))
        self.claimed = False

    def release(self) -> None:
        """Remove the file and drop its lock (idempotent)."""
        self.handle.close()
        self.path.unlink(missing_ok=True)
        if self._lock >= 0:
            os.close(self._lock)
            self._lock = -1


def sweep_uploads(folder: Path, before: float | None = None) -> int:
    """Remove every upload left by a process that is gone: older than `before` (default: now) and unlocked."""
    cutoff = time.time() if before is None else before
    removed = 0
    for path in folder.glob("*") if folder.is_dir() else ():
        if _remove_if_abandoned(path, cutoff):
            removed += 1
    if removed:
        log.warning("removed %d upload(s) left behind by a stopped process from %s", removed, folder)
    return removed


def _remove_if_abandoned(path: Path, cutoff: float) -> bool:
    try:
        if path.is_symlink() or not path.is_file():  # nothing Recoup makes: left alone
            return False
        if path.stat().st_mtime >= cutoff:
            return False
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # a live request or import holds it
        return False
    else:
        path.unlink(missing_ok=True)
        return True
    finally:
        os.close(descriptor)
