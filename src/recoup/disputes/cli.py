"""`recoup dispute` commands."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this domain's commands to `recoup` (called once by recoup.cli)."""
