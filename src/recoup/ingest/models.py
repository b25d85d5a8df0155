"""Tables of the ingest domain."""

from __future__ import annotations
