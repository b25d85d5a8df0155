"""Pages: reconcile the days an import brought, in the background, with its progress and what it found."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
