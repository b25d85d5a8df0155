"""Who may call the reconciliation run routes (merged into test_authorization_matrix)."""

from __future__ import annotations

from recoup.auth.roles import Permission

P = Permission
OPEN, USER = "open", "user"

API: dict[tuple[str, str], str | Permission] = {
    ("POST", "/reconciliation/runs"): P.RECONCILE,
    ("GET", "/reconciliation/runs/{run_id}"): P.READ,
}
PAGES: dict[tuple[str, str], str | Permission] = {
    ("GET", "/reconciliation/runs/{run_id}"): P.READ,
}
JSON_BODIES: dict[str, object] = {"/reconciliation/runs": {}}
UPLOADS: set[str] = set()
