"""A file's SHA-256, computed in a thread of its own while the import goes on.

    with FileDigest(path) as digest:
        ...  # read and check the first piece of the file
        sha = digest.hexdigest()  # waits for the thread if it is not done

hashlib lets go of the GIL while it hashes a block, so the digest of a big journal (0.16-0.33 s a million
lines here) is made on the other core while DuckDB checks the file's first piece: the database gets its
first rows that much sooner (bench/import.py).
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

BLOCK = 1 << 20


def content_sha256(path: Path, stop: threading.Event | None = None) -> str:
    """The hex SHA-256 of the file's bytes ("" when `stop` was set before the end)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            if stop is not None and stop.is_set():
                return ""
            digest.update(block)
    return digest.hexdigest()


class FileDigest:
    """The SHA-256 of `path`, started at once in a thread; leaving the block stops and joins the thread."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._stop = threading.Event()
        self._hex = ""
        self._error: OSError | None = None
        self._thread = threading.Thread(target=self._run, name="recoup-file-digest", daemon=True)

    def __enter__(self) -> FileDigest:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            self._hex = content_sha256(self._path, self._stop)
        except OSError as error:
            self._error = error

    def hexdigest(self) -> str:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._hex
