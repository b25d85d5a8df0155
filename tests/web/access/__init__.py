"""Access decisions of the newer domains, one module each, merged into test_authorization_matrix's tables.

Each module defines API and PAGES ({(method, path): decision}), JSON_BODIES ({path: body}) and UPLOADS
(paths that take a multipart "file"), in the shapes test_authorization_matrix uses.
"""

from __future__ import annotations

from types import ModuleType

from tests.web.access import (
    admin,
    complaints,
    disputes,
    evidence,
    incident_report,
    ingest,
    messaging,
    reconcile_jobs,
    reconciliation,
    report_schedules,
    reports,
    transactions_pages,
    workplace,
)

MODULES: tuple[ModuleType, ...] = (evidence, incident_report, messaging, complaints, ingest, disputes, reports,
                                  workplace, admin, reconciliation, reconcile_jobs, transactions_pages,
                                  report_schedules)
