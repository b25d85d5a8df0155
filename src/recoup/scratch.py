"""Scratch folders in the system's temporary folder, named after the process that made them.

An import or a reconciliation works in scratch folders (DuckDB's spill, the pieces of a big journal on their way
to PostgreSQL, CSV conversions): gigabytes for a file of ten million lines. A process that ends normally removes
its own; one that is killed (`kill -9`, the out-of-memory killer, a power cut) leaves them behind. Every
folder's name holds its process id (`recoup-<kind>-<pid>-<random>`), so that `sweep`, run when a web server or a
worker starts, removes those whose process is gone, and never one of a process still running. It takes the
processes that share the temporary folder to share one process-id space (one machine, or one container: give
containers that share a mounted temporary folder TMPDIR folders of their own).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)
_NAMED = re.compile(r"recoup-[a-z]+(?:-[a-z]+)*-(\d+)-\w+")


def scratch_folder(kind: str) -> tempfile.TemporaryDirectory[str]:
    """`with scratch_folder("pieces") as folder:` a private folder, removed at the end of the block."""
    return tempfile.TemporaryDirectory(prefix=f"recoup-{kind}-{os.getpid()}-")


def sweep(base: Path | None = None) -> int:
    """Remove the scratch folders of processes that are gone (this user's only); how many were removed."""
    removed = 0
    for path in (base or Path(tempfile.gettempdir())).glob("recoup-*"):
        found = _NAMED.fullmatch(path.name)
        if found is None or path.is_symlink() or not path.is_dir() or _running(int(found.group(1))):
            continue
        try:
            if path.stat().st_uid != os.getuid():
                continue
        except OSError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    if removed:
        log.warning("removed %d scratch folder(s) left behind by stopped processes", removed)
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: running
        return True
    return True
