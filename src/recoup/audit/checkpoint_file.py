"""The checkpoint file: one signed checkpoint of the audit trail per line, outside the database.

Lines are only ever appended (the file is opened O_APPEND, mode 0600, in a folder of mode 0700) and
each is written by one `write` under an exclusive lock, so concurrent writers (a worker pass and an
operator's `recoup audit verify`) never interleave. Nothing here rewrites or truncates the file.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from recoup.audit.chain import Checkpoint
from recoup.errors import RecoupError

FILE_NAME = "checkpoints.jsonl"
_TAIL_BYTES = 4096
_FIELDS = ("seq", "hash", "at", "key_id", "scope", "mac")


class CheckpointFileBroken(RecoupError):
    status = 409


def checkpoint_path(folder: Path) -> Path:
    return folder / FILE_NAME


def _parse(text: str, line: int) -> Checkpoint:
    try:
        item = json.loads(text)
        return Checkpoint(seq=int(item["seq"]), hash=str(item["hash"]), at=str(item["at"]),
                          key_id=str(item["key_id"]), mac=str(item["mac"]), scope=str(item["scope"]), line=line)
    except (ValueError, KeyError, TypeError) as error:
        raise CheckpointFileBroken(f"checkpoint line {line} of {FILE_NAME} is unreadable ({error.__class__.__name__}):"
                                   " the file was edited by hand or damaged") from None


def render(checkpoint: Checkpoint) -> str:
    """One line of the file (and the data of an `audit.checkpoint` webhook event)."""
    return json.dumps(as_dict(checkpoint), sort_keys=True, separators=(",", ":"))


def as_dict(checkpoint: Checkpoint) -> dict[str, object]:
    return {name: getattr(checkpoint, name) for name in _FIELDS}


def read_checkpoints(folder: Path) -> list[Checkpoint]:
    """Every checkpoint in the file, in the order written; none when there is no file yet."""
    path = checkpoint_path(folder)
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as lines:
        return [_parse(text, number) for number, text in enumerate(lines, start=1) if text.strip()]


class Appender:
    """The open, locked checkpoint file: its last checkpoint, and appending one more."""

    def __init__(self, descriptor: int, path: Path) -> None:
        self.descriptor = descriptor
        self.path = path

    def last(self) -> Checkpoint | None:
        size = os.fstat(self.descriptor).st_size
        if size == 0:
            return None
        with self.path.open("rb") as reader:
            reader.seek(max(0, size - _TAIL_BYTES))
            tail = reader.read(size).decode("utf-8", errors="replace").splitlines()
        lines = [text for text in tail if text.strip()]
        if not lines:
            return None
        return _parse(lines[-1], 0)

    def append(self, checkpoint: Checkpoint) -> None:
        os.write(self.descriptor, (render(checkpoint) + "\n").encode())
        os.fsync(self.descriptor)


@contextmanager
def appending(folder: Path) -> Iterator[Appender]:
    """The checkpoint file opened for appending only (created mode 0600), locked against other writers."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = checkpoint_path(folder)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield Appender(descriptor, path)
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)
