"""Tables of the workplace."""

from __future__ import annotations
