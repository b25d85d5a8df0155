"""Who may call the scheduled reports' routes (merged into test_authorization_matrix): everyone who reads
sees the schedules in their scope; changing one takes recoup.reports.schedules.CHANGE_PERMISSION."""

from __future__ import annotations

from tests.support.factories import OBJECTS

from recoup.auth.roles import Permission

P = Permission
OPEN, USER = "open", "user"

API: dict[tuple[str, str], str | Permission] = {
    ("GET", "/reports/schedules"): P.READ,
    ("PUT", "/reports/schedules"): P.RECONCILE,
}
PAGES: dict[tuple[str, str], str | Permission] = {
    ("GET", "/reports/schedules"): P.READ,
    ("POST", "/reports/schedules"): P.RECONCILE,
    ("POST", "/reports/schedules/disable"): P.RECONCILE,
}
# A merchant role may only set its own merchant's schedule: the body names tenant A's merchant.
JSON_BODIES: dict[str, object] = {"/reports/schedules": {"merchant": OBJECTS["A"][0], "frequency": "daily",
                                                         "at": "08:00"}}
UPLOADS: set[str] = set()
