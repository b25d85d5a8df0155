"""Who may call the incident report routes (merged into test_authorization_matrix)."""

from __future__ import annotations

from recoup.auth.roles import Permission

P = Permission
OPEN, USER = "open", "user"

API: dict[tuple[str, str], str | Permission] = {
    ("GET", "/cases/{case_id}/report.pdf"): P.READ,
}
PAGES: dict[tuple[str, str], str | Permission] = {
    ("GET", "/cases/{case_id}/report.pdf"): P.READ,
}
JSON_BODIES: dict[str, object] = {}
UPLOADS: set[str] = set()
