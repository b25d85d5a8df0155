"""Who may call the evidence routes (merged into test_authorization_matrix)."""

from __future__ import annotations

from recoup.auth.roles import Permission

P = Permission
OPEN, USER = "open", "user"

API: dict[tuple[str, str], str | Permission] = {
    ("POST", "/cases/{case_id}/evidence"): P.WORK_CASES,
    ("GET", "/cases/{case_id}/evidence"): P.READ,
    ("GET", "/cases/{case_id}/evidence/{item_id}"): P.READ,
    ("GET", "/cases/{case_id}/bundle.zip"): P.READ,
}
PAGES: dict[tuple[str, str], str | Permission] = {
    ("POST", "/cases/{case_id}/evidence"): P.WORK_CASES,
    ("GET", "/cases/{case_id}/evidence/{item_id}"): P.READ,
    ("GET", "/cases/{case_id}/bundle.zip"): P.READ,
}
JSON_BODIES: dict[str, object] = {}
UPLOADS: set[str] = {"/cases/{case_id}/evidence"}
