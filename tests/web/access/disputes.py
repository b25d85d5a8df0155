"""Who may call the disputes routes (merged into test_authorization_matrix)."""

from __future__ import annotations

from recoup.auth.roles import Permission

P = Permission
OPEN, USER = "open", "user"

API: dict[tuple[str, str], str | Permission] = {
    ("GET", "/cases/{case_id}/disputes"): P.READ,
    ("POST", "/cases/{case_id}/disputes"): P.DISPUTE,
    ("GET", "/disputes"): P.READ,
    ("GET", "/dispute-reasons"): P.READ,
    ("GET", "/disputes/{dispute_id}"): P.READ,
    ("GET", "/disputes/{dispute_id}/submission.zip"): P.READ,
    ("POST", "/disputes/{dispute_id}/respond"): P.DISPUTE,
    ("POST", "/disputes/{dispute_id}/accept"): P.DISPUTE,
    ("POST", "/disputes/{dispute_id}/outcome"): P.DISPUTE,
    ("POST", "/disputes/{dispute_id}/advance"): P.DISPUTE,
}
PAGES: dict[tuple[str, str], str | Permission] = {
    ("POST", "/cases/{case_id}/disputes"): P.DISPUTE,
    ("GET", "/disputes"): P.READ,
    ("GET", "/disputes/{dispute_id}"): P.READ,
    ("GET", "/disputes/{dispute_id}/submission.zip"): P.READ,
    ("POST", "/disputes/{dispute_id}/respond"): P.DISPUTE,
    ("POST", "/disputes/{dispute_id}/accept"): P.DISPUTE,
    ("POST", "/disputes/{dispute_id}/outcome"): P.DISPUTE,
    ("POST", "/disputes/{dispute_id}/advance"): P.DISPUTE,
}
JSON_BODIES: dict[str, object] = {
    "/cases/{case_id}/disputes": {"scheme": "unionpay", "stage": "chargeback", "reason_code": "4507",
                                  "amount": "1.00"},
    "/disputes/{dispute_id}/outcome": {"outcome": "won"},
    "/disputes/{dispute_id}/advance": {"stage": "arbitration"},
}
UPLOADS: set[str] = set()
