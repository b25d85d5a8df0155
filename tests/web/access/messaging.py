"""Who may call the messaging routes (merged into test_authorization_matrix)."""

from __future__ import annotations

from recoup.auth.roles import Permission

P = Permission
OPEN, USER = "open", "user"

API: dict[tuple[str, str], str | Permission] = {
    ("POST", "/cases/{case_id}/messages"): P.WORK_CASES,
    ("GET", "/cases/{case_id}/messages"): P.READ,
    ("GET", "/message-templates"): P.READ,
    ("PUT", "/message-templates/{key}/{locale}"): P.MANAGE_MERCHANTS,
    ("GET", "/alerts"): USER,
    ("POST", "/alerts/read"): USER,
}
PAGES: dict[tuple[str, str], str | Permission] = {
    ("POST", "/cases/{case_id}/messages"): P.WORK_CASES,
    ("POST", "/cases/{case_id}/messages/preview"): P.WORK_CASES,
    ("GET", "/message-templates"): P.READ,
    ("POST", "/message-templates"): P.MANAGE_MERCHANTS,
    ("GET", "/alerts"): USER,
    ("POST", "/alerts/read"): USER,
    ("GET", "/r/{token}"): OPEN,
    ("POST", "/r/{token}"): OPEN,
}
JSON_BODIES: dict[str, object] = {
    "/cases/{case_id}/messages": {"template": "apology", "channel": "email", "to": "payer@example.com"},
    "/message-templates/{key}/{locale}": {"subject": "matrix {case_number}", "body": "matrix {reply_link}"},
    "/alerts/read": {},
}
UPLOADS: set[str] = set()
