"""Who may call the reports' prevention routes (merged into test_authorization_matrix)."""

from __future__ import annotations

from recoup.auth.roles import Permission

P = Permission
OPEN, USER = "open", "user"

API: dict[tuple[str, str], str | Permission] = {
    ("GET", "/reports/prevention"): USER,
    ("POST", "/reports/prevention/ack"): P.RECONCILE,
}
PAGES: dict[tuple[str, str], str | Permission] = {
    ("GET", "/reports/prevention"): USER,
    ("POST", "/reports/prevention/ack"): P.RECONCILE,
}
JSON_BODIES: dict[str, object] = {"/reports/prevention/ack": {"key": "maintenance::x", "note": "n"}}
UPLOADS: set[str] = set()
