"""The incident report of a case as a PDF: the API route and the page's download route."""

from __future__ import annotations

from fastapi import APIRouter

api_router = APIRouter(tags=["evidence"])
web_router = APIRouter()
