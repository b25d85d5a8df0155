"""`recoup demo`: tenants and users, then weeks of generated merchants, terminals, orders, journal and
settlement (with every kind of mis-charge of SPEC section 4), imported through the real importer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recoup.audit.service import Actor
from recoup.auth.models import Tenant, User
from recoup.auth.principal import Principal
from recoup.auth.roles import Role
from recoup.auth.service import add_user, get_or_create_tenant
from recoup.config import Settings
from recoup.db import Database, utcnow
from recoup.demo.generator import Dataset, generate, write_dataset
from recoup.migrations.runner import upgrade
from recoup.scratch import scratch_folder
from recoup.transactions.importer import ImportOptions, import_file

DEMO_PASSWORD = "recoup-demo-2026"
DEMO = Actor("demo-loader", None, "cli")
DEMO_SEED = 2026
DEMO_ORDERS = 9000  # about three dozen terminals at a dozen orders a day each
DEMO_DAYS = 21
HOME_TENANT = "ACQ-EAST"
KINDS = ("merchants", "terminals", "orders", "journal", "settlement")
DEMO_MAIL_DOMAIN = "demo.recoup.example"  # RFC 2606: reserved, so no demo mail ever reaches a real inbox
# username, role, tenant, how many of the tenant's merchants (in registry order) the user works for
DEMO_USERS = [
    ("admin", Role.ADMIN, "ACQ-EAST", 0),
    ("finance", Role.MERCHANT_FINANCE, "ACQ-EAST", 2),
    ("cashier", Role.CASHIER, "ACQ-EAST", 1),
    ("support", Role.PROVIDER_SUPPORT, "ACQ-EAST", 0),
    ("acquirer", Role.ACQUIRER_OPS, "ACQ-EAST", 0),
    ("auditor", Role.AUDITOR, "ACQ-EAST", 0),
    ("north-admin", Role.ADMIN, "ACQ-NORTH", 0),
]


def demo_email(username: str) -> str:
    """The demo user's e-mail address, so scheduled report mails and alerts have someone to go to."""
    return f"{username}@{DEMO_MAIL_DOMAIN}"


def demo_dataset() -> Dataset:
    """The demo's data: the last three weeks, the same shape on every run."""
    start = utcnow().date() - timedelta(days=DEMO_DAYS)
    return generate(seed=DEMO_SEED, orders=DEMO_ORDERS, days=DEMO_DAYS, start=start)


def load_demo(database: Database, settings: Settings) -> Iterator[str]:
    """Migrate, then load the demo data when the database is empty. Yields lines to print."""
    upgrade(database.engine)
    loaded = False
    with database.unit_of_work() as session:
        if session.execute(select(func.count()).select_from(User)).scalar_one():
            yield "the database already holds data: demo data not loaded again"
        else:
            dataset = demo_dataset()
            yield from _load(session, settings, dataset)
            loaded = True
    if loaded:
        yield from _reconcile_every_tenant(database)
        yield "demo data loaded"
    yield f"open http://{settings.host}:{settings.port}/ and log in with one of these demo users:"
    for username, role, code, _ in DEMO_USERS:
        yield f"  {username:<12} password {DEMO_PASSWORD}   ({role.value}, tenant {code}, {demo_email(username)})"


def _load(session: Session, settings: Settings, dataset: Dataset) -> Iterator[str]:
    codes = sorted({row["tenant"] for row in dataset.merchants} | {code for _, _, code, _ in DEMO_USERS})
    tenants = {code: get_or_create_tenant(session, code, code) for code in codes}
    with scratch_folder("demo") as folder:
        paths = write_dataset(dataset, Path(folder), encoding="utf-8-sig", chinese_aliases=True, shuffle_seed=1)
        for code, tenant in tenants.items():
            yield from _import_tenant(session, settings, tenant, code, paths)
    merchants_of = {code: [row["merchant_id"] for row in dataset.merchants if row["tenant"] == code] for code in codes}
    add_demo_users(session, tenants, merchants_of)


def add_demo_users(session: Session, tenants: dict[str, Tenant], merchants_of: dict[str, list[str]]) -> list[User]:
    """The demo's users, each with a password, an e-mail address on the reserved domain and their merchants."""
    return [add_user(session, DEMO, tenant=tenants[code], username=username, password=DEMO_PASSWORD, role=role,
                     merchant_ids=merchants_of.get(code, [])[:merchant_count], email=demo_email(username))
            for username, role, code, merchant_count in DEMO_USERS]


def _reconcile_every_tenant(database: Database) -> Iterator[str]:
    """Reconcile what was imported, store the findings and open their cases, as on a living system."""
    from recoup.reconciliation.db_run import reconcile_database
    from recoup.reconciliation.db_source import DbScope

    with database.unit_of_work() as session:
        tenants = list(session.execute(select(Tenant).order_by(Tenant.code)).scalars())
    for tenant in tenants:
        principal = Principal(user_id=0, username=DEMO.name, tenant_id=tenant.id, role=Role.ADMIN,
                              merchant_ids=frozenset(), origin="cli")
        summary = reconcile_database(database, principal, DbScope(), out=None, save=True)
        yield f"  {tenant.code}: {summary.total} findings; {summary.saved}"


def _import_tenant(session: Session, settings: Settings, tenant: Tenant, code: str,
                   paths: dict[str, Path]) -> Iterator[str]:
    loader = Principal(user_id=0, username=DEMO.name, tenant_id=tenant.id, role=Role.ADMIN,
                       merchant_ids=frozenset(), origin="cli")
    for kind in KINDS:
        report = import_file(session, loader, kind, paths[kind], settings,
                             ImportOptions(tenant_code=code, file_name=f"demo-{kind}.csv"))
        if report.imported:
            yield f"  {code}: {report.imported} {kind} imported"
