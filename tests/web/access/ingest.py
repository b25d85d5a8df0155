"""Who may call the ingest routes (merged into test_authorization_matrix)."""

from __future__ import annotations

from recoup.auth.roles import Permission

P = Permission
OPEN, USER = "open", "user"

API: dict[tuple[str, str], str | Permission] = {}
PAGES: dict[tuple[str, str], str | Permission] = {
    ("POST", "/imports/statement"): P.IMPORT,
    ("POST", "/imports/statement/{token}/import"): P.IMPORT,
    ("GET", "/imports/statement/{token}/mapping"): P.IMPORT,
    ("POST", "/imports/statement/{token}/mapping"): P.IMPORT,
}
JSON_BODIES: dict[str, object] = {}
UPLOADS: set[str] = {"/imports/statement"}
