"""Who may call the reconcile_jobs routes (merged into test_authorization_matrix)."""

from __future__ import annotations

from recoup.auth.roles import Permission

P = Permission
OPEN, USER = "open", "user"

API: dict[tuple[str, str], str | Permission] = {}
PAGES: dict[tuple[str, str], str | Permission] = {}
JSON_BODIES: dict[str, object] = {}
UPLOADS: set[str] = set()
