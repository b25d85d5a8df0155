"""The evidence vault (recoup.evidence.service.add_evidence), reached lazily: messages sent and replies
received are kept as the case's evidence (SPEC section 2 step 8). Without the vault nothing is kept."""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from recoup.config import Settings


def _add_evidence() -> Any:
    try:
        module = importlib.import_module("recoup.evidence.service")
    except ImportError:
        return None
    return getattr(module, "add_evidence", None)


def keep(session: Session, settings: Settings, *, tenant_id: int, case_id: int, kind: str, name: str,
         content: bytes, added_by: str, now: datetime, note: str = "") -> bool:
    """Store one file in the case's evidence (in the caller's transaction); False: no vault in this build."""
    add_evidence = _add_evidence()
    if add_evidence is None:
        return False
    add_evidence(session, settings, tenant_id=tenant_id, case_id=case_id, kind=kind, name=name, content=content,
                 added_by=added_by, now=now, note=note)
    return True
