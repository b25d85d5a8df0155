"""REST routes of the evidence domain (mounted under /api/v1)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["evidence"])
