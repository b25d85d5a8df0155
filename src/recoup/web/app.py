"""The application factory: one FastAPI app serving the pages and the REST API under /api/v1."""

from __future__ import annotations

import functools
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from recoup import __version__
from recoup.admin.web import router as admin_web
from recoup.audit.api import router as audit_api
from recoup.audit.setup import AuditSetup
from recoup.auth.api import router as auth_api
from recoup.auth.web import router as auth_web
from recoup.cases.api import router as cases_api
from recoup.cases.web import router as cases_web
from recoup.complaints.api import router as complaints_api
from recoup.complaints.web import router as complaints_web
from recoup.config import Settings, get_settings
from recoup.db import Database
from recoup.disputes.api import router as disputes_api
from recoup.disputes.web import router as disputes_web
from recoup.evidence.api import router as evidence_api
from recoup.evidence.report_routes import api_router as incident_report_api
from recoup.evidence.report_routes import web_router as incident_report_web
from recoup.evidence.web import router as evidence_web
from recoup.ingest.api import router as ingest_api
from recoup.ingest.web import router as ingest_web
from recoup.ledger.web import router as ledger_web
from recoup.merchants.api import router as merchants_api
from recoup.merchants.web import router as merchants_web
from recoup.messaging.api import router as messaging_api
from recoup.messaging.web import router as messaging_web
from recoup.reconciliation.api import router as findings_api
from recoup.reconciliation.web import router as findings_web
from recoup.reconciliation.web_jobs import router as reconcile_jobs_web
from recoup.recovery.api import router as recovery_api
from recoup.recovery.web import router as recovery_web
from recoup.reports.api import router as reports_api
from recoup.reports.api_schedules import router as report_schedules_api
from recoup.reports.web import router as reports_web
from recoup.reports.web_schedules import router as report_schedules_web
from recoup.scratch import sweep as sweep_scratch
from recoup.transactions.api import router as transactions_api
from recoup.transactions.web import router as transactions_web
from recoup.transactions.web_imports import router as imports_web
from recoup.web.errors import ERROR_RESPONSES, install_error_handlers
from recoup.web.headers import SecurityHeaders
from recoup.web.health import router as health
from recoup.web.keep_alive import RequestsPerConnection
from recoup.web.limits import BodySizeLimit, route_body_limits, upload_routes
from recoup.web.pages import router as pages
from recoup.web.param_cache import install as cache_parameter_introspection
from recoup.web.route_gates import gate_routers
from recoup.web.session_cookie import SessionCookie
from recoup.web.uploads import sweep_uploads, uploads_folder

API_PREFIX = "/api/v1"
API_ROUTERS: list[APIRouter] = [auth_api, merchants_api, audit_api, transactions_api, cases_api, recovery_api,
                                 findings_api, reports_api, evidence_api, incident_report_api, messaging_api,
                                 complaints_api, ingest_api, disputes_api, report_schedules_api]
WEB_ROUTERS: list[APIRouter] = [health, auth_web, pages, merchants_web, imports_web, transactions_web, cases_web,
                                 recovery_web, findings_web, reports_web, evidence_web, incident_report_web,
                                 messaging_web, complaints_web, ingest_web, disputes_web, admin_web, ledger_web,
                                 reconcile_jobs_web, report_schedules_web]


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Recoup API", version=__version__,
        openapi_url=f"{API_PREFIX}/openapi.json", docs_url=f"{API_PREFIX}/docs", redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = database or Database(settings.resolved_database_url,
                                              audit=AuditSetup.from_settings(settings), pool=settings.pool_sizes)
    _include_routers(app)
    gate_routers(app)
    cache_parameter_introspection()
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    app.add_middleware(
        SessionCookie, keys=[key.secret for key in settings.keyring().all("session")], settings=settings,
    )
    sweep_uploads(uploads_folder(settings.var_dir))  # what a killed server left, card numbers and all
    sweep_scratch()  # and the scratch folders of imports and reconciliations a killed process left
    app.add_middleware(BodySizeLimit, max_json_bytes=settings.max_json_bytes,  # outside sessions and logins
                       max_upload_bytes=settings.max_upload_bytes, upload_routes=body_rules()[0],
                       route_limits=body_rules()[1])
    app.add_middleware(SecurityHeaders, settings=settings, docs_path=app.docs_url)  # every answer
    app.add_middleware(RequestsPerConnection, requests=settings.answers_per_connection)  # outermost
    install_error_handlers(app)
    return app


def _include_routers(app: FastAPI) -> None:
    for router in API_ROUTERS:  # every API route documents the refusals it may answer, in the shape they have
        app.include_router(router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    for router in WEB_ROUTERS:
        app.include_router(router)


@functools.cache
def body_rules() -> tuple[frozenset[tuple[str, str]], dict[tuple[str, str], int]]:
    """The routes that take a file and the routes with a body cap of their own. Every app a process builds has
    the same route table (the module's routers), and finding them makes FastAPI build every route's state
    (about 0.5 s of CPU), so they are found once per process: each `serve` worker, each test app."""
    probe = FastAPI()
    _include_routers(probe)
    return upload_routes(probe.routes), route_body_limits(probe.routes)
