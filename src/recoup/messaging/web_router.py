"""The one router of this domain's pages (app.py mounts messaging.web.router): web.py, templates_web.py and
public_web.py each add their routes to it, so the route table lists every page of the domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
