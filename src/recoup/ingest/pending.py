"""Statement files uploaded for a preview, kept until the user imports them (or a day has passed).

Each sits in var_dir/statements/<token>/ with who uploaded it; only that user of that tenant reads it
again. The token is 32 random hex characters: a path never comes from the request.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from recoup.auth.principal import Principal
from recoup.errors import NotFound

MAX_AGE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class Pending:
    token: str
    path: Path
    file_name: str
    kind: str


def _root(var_dir: Path) -> Path:
    root = var_dir / "statements"
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return root


def keep(var_dir: Path, principal: Principal, upload: Path, file_name: str, kind: str) -> Pending:
    _sweep(_root(var_dir))
    token = secrets.token_hex(16)
    folder = _root(var_dir) / token
    folder.mkdir(mode=0o700)
    target = folder / "statement"
    shutil.copyfile(upload, target)
    meta = {"tenant_id": principal.tenant_id, "username": principal.username, "file_name": file_name, "kind": kind}
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return Pending(token, target, file_name, kind)


def find(var_dir: Path, principal: Principal, token: str) -> Pending:
    folder = _root(var_dir) / token
    if not _TOKEN.fullmatch(token) or not (folder / "meta.json").is_file():
        raise NotFound("this uploaded statement is gone (imported, or older than a day): upload it again")
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    if meta["tenant_id"] != principal.tenant_id or meta["username"] != principal.username:
        raise NotFound("this uploaded statement is gone (imported, or older than a day): upload it again")
    return Pending(token, folder / "statement", str(meta["file_name"]), str(meta["kind"]))


def discard(var_dir: Path, token: str) -> None:
    if _TOKEN.fullmatch(token):
        shutil.rmtree(_root(var_dir) / token, ignore_errors=True)


def _sweep(root: Path) -> None:
    cutoff = time.time() - MAX_AGE_SECONDS
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
