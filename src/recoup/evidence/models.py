"""Tables of the evidence domain."""

from __future__ import annotations
