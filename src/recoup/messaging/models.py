"""Tables of the messaging domain."""

from __future__ import annotations
