"""Who may call the reconcile_jobs routes (merged into test_authorization_matrix)."""

from __future__ import annotations

from recoup.auth.roles import Permission

P = Permission
OPEN, USER = "open", "user"

API: dict[tuple[str, str], str | Permission] = {}
PAGES: dict[tuple[str, str], str | Permission] = {
    ("POST", "/reconciliation/jobs"): P.RECONCILE,  # starts a saved run over an import's days
    ("GET", "/reconciliation/jobs/{job_id}"): USER,  # a job is its starter's only (404 for anyone else)
    ("GET", "/reconciliation/jobs/{job_id}/progress"): USER,
}
JSON_BODIES: dict[str, object] = {}
UPLOADS: set[str] = set()
