"""REST routes of the messaging domain (mounted under /api/v1)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["messaging"])
