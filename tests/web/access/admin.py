"""Who may call the admin pages and the ledger page (merged into test_authorization_matrix)."""

from __future__ import annotations

from recoup.auth.roles import Permission

P = Permission
OPEN, USER = "open", "user"

API: dict[tuple[str, str], str | Permission] = {}
PAGES: dict[tuple[str, str], str | Permission] = {
    ("GET", "/admin"): P.MANAGE_MERCHANTS,
    ("GET", "/admin/users"): P.MANAGE_USERS,
    ("GET", "/admin/users/new"): P.MANAGE_USERS,
    ("POST", "/admin/users"): P.MANAGE_USERS,
    ("GET", "/admin/users/{username}"): P.MANAGE_USERS,
    ("POST", "/admin/users/{username}/disable"): P.MANAGE_USERS,
    ("POST", "/admin/users/{username}/enable"): P.MANAGE_USERS,
    ("POST", "/admin/users/{username}/password"): P.MANAGE_USERS,
    ("GET", "/admin/merchants"): P.MANAGE_MERCHANTS,
    ("GET", "/admin/merchants/new"): P.MANAGE_MERCHANTS,
    ("POST", "/admin/merchants"): P.MANAGE_MERCHANTS,
    ("GET", "/admin/merchants/{merchant_id}"): P.MANAGE_MERCHANTS,
    ("POST", "/admin/merchants/{merchant_id}"): P.MANAGE_MERCHANTS,
    ("GET", "/admin/terminals/new"): P.MANAGE_MERCHANTS,
    ("POST", "/admin/terminals"): P.MANAGE_MERCHANTS,
    ("GET", "/admin/terminals/{terminal_id}"): P.MANAGE_MERCHANTS,
    ("POST", "/admin/terminals/{terminal_id}"): P.MANAGE_MERCHANTS,
    ("GET", "/admin/ladder"): P.MANAGE_MERCHANTS,
    ("POST", "/admin/ladder"): P.MANAGE_MERCHANTS,
    ("GET", "/admin/qr-account"): P.MANAGE_MERCHANTS,
    ("POST", "/admin/qr-account"): P.MANAGE_MERCHANTS,
    ("POST", "/admin/qr-account/reset"): P.MANAGE_MERCHANTS,
    ("GET", "/admin/webhooks"): P.MANAGE_MERCHANTS,
    ("POST", "/admin/webhooks"): P.MANAGE_MERCHANTS,
    ("POST", "/admin/webhooks/{endpoint_id}/disable"): P.MANAGE_MERCHANTS,
    ("GET", "/ledger/{merchant_id}"): P.READ,
}
JSON_BODIES: dict[str, object] = {}
UPLOADS: set[str] = set()
