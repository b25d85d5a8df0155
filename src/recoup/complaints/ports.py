"""The services of other domains this one calls, looked up when called (they are written beside this one).

The evidence vault (recoup.evidence.service) and the outbox (recoup.messaging.outbox) are imported by
name, so this domain imports, type-checks and runs before they exist; a call that needs a missing one
gets a clear RecoupError, and the callers that can go on without it (a notice) check `available` first.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from recoup.errors import RecoupError

EVIDENCE = "recoup.evidence.service"
OUTBOX = "recoup.messaging.outbox"


class ServiceMissing(RecoupError):
    status = 503


def module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        return None


def function(name: str, attribute: str) -> Any:
    found = module(name)
    target = getattr(found, attribute, None) if found is not None else None
    if target is None:
        raise ServiceMissing(f"this cannot be done yet: {name}.{attribute} is not installed")
    return target


def available(name: str, attribute: str) -> bool:
    found = module(name)
    return found is not None and hasattr(found, attribute)
