"""Who may call the complaints routes (merged into test_authorization_matrix)."""

from __future__ import annotations

from recoup.auth.roles import Permission

P = Permission
OPEN, USER = "open", "user"

API: dict[tuple[str, str], str | Permission] = {
    ("GET", "/complaints"): P.READ,
    ("GET", "/complaints/{complaint_id}"): P.READ,
    ("POST", "/complaints/{complaint_id}/link"): P.WORK_CASES,
    ("POST", "/complaints/{complaint_id}/answer"): P.WORK_CASES,
    ("POST", "/complaints/{complaint_id}/close"): P.WORK_CASES,
}
PAGES: dict[tuple[str, str], str | Permission] = {
    # The payer's public pages: no account.
    ("GET", "/c/{merchant_id}"): OPEN,
    ("POST", "/c/file"): OPEN,
    ("GET", "/c/status/{code}"): OPEN,
    ("POST", "/c/status/{code}/rate"): OPEN,
    # Staff.
    ("GET", "/complaints"): P.READ,
    ("GET", "/complaints/new"): P.WORK_CASES,
    ("POST", "/complaints/new"): P.WORK_CASES,
    ("GET", "/complaints/qr/{merchant_id}"): P.READ,
    ("GET", "/complaints/{complaint_id}"): P.READ,
    ("GET", "/complaints/{complaint_id}/photos/{item_id}"): P.READ,
    ("POST", "/complaints/{complaint_id}/link"): P.WORK_CASES,
    ("POST", "/complaints/{complaint_id}/open-case"): P.WORK_CASES,
    ("POST", "/complaints/{complaint_id}/join-case"): P.WORK_CASES,
    ("POST", "/complaints/{complaint_id}/answer"): P.WORK_CASES,
    ("POST", "/complaints/{complaint_id}/close"): P.WORK_CASES,
}
JSON_BODIES: dict[str, object] = {
    "/complaints/{complaint_id}/link": {"journal_id": 1},
    "/complaints/{complaint_id}/answer": {"text": "matrix"},
    "/complaints/{complaint_id}/close": {"note": "matrix"},
}
UPLOADS: set[str] = set()
