"""How the API and the pages send evidence: one file (streamed, decrypted) or the bundle (streamed ZIP)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import quote

from fastapi.responses import StreamingResponse

from recoup.auth.principal import Principal
from recoup.config import Settings
from recoup.db import Database
from recoup.errors import RecoupError
from recoup.evidence.bundle import plan_bundle, stream_bundle
from recoup.evidence.models import EvidenceItem
from recoup.evidence.rules import is_image


def disposition(kind: str, name: str) -> str:
    """A Content-Disposition that names the file in any script (RFC 6266 `filename*`), never a header break."""
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in name) or "file"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _primed(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The first chunk read now, so that a file that does not open fails before the answer starts."""
    first = next(chunks, b"")
    return itertools.chain([first], chunks)


def file_response(item: EvidenceItem, chunks: Iterator[bytes], *, inline: bool = False) -> StreamingResponse:
    """The decrypted file; shown in the page only when it is an image (anything else is downloaded)."""
    shown = "inline" if inline and is_image(item.content_type) else "attachment"
    headers = {"content-disposition": disposition(shown, item.name), "content-length": str(item.size),
               "cache-control": "private, no-store"}
    return StreamingResponse(_primed(chunks), media_type=item.content_type, headers=headers)


def bundle_response(database: Database, settings: Settings, principal: Principal, reference: str,
                    now: datetime) -> StreamingResponse:
    """Checkpoint the audit trail (so the bundle carries a checkpoint covering the case), plan the bundle in a
    transaction of its own, then stream the ZIP once that transaction has committed."""
    from recoup.audit.checkpoints import write_checkpoint

    try:
        write_checkpoint(database, now)
    except RecoupError:
        pass  # a trail that went backwards: the bundle says it has no covering checkpoint; `audit verify` tells more
    with database.unit_of_work() as session:
        plan = plan_bundle(session, settings, principal, reference, now)
    headers = {"content-disposition": disposition("attachment", plan.file_name), "cache-control": "private, no-store"}
    return StreamingResponse(stream_bundle(plan, settings), media_type="application/zip", headers=headers)
