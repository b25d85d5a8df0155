"""`recoup demo`: tenants, users, merchants and terminals (and, once imports land, weeks of transactions)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select

from recoup.audit.service import Actor, record
from recoup.auth.models import User
from recoup.auth.roles import Role
from recoup.auth.service import add_user, get_or_create_tenant
from recoup.config import Settings
from recoup.db import Database
from recoup.merchants.models import Merchant, Terminal
from recoup.migrations.runner import upgrade

DEMO_PASSWORD = "recoup-demo-2026"
DEMO = Actor("demo-loader", None, "cli")

DEMO_MERCHANTS = [
    ("ACQ-EAST", "898301054111439", "南京市建邺区安康超市", "5411", "南京", ["61027889", "61027890"]),
    ("ACQ-EAST", "898301070111565", "南京市玄武区一品酒店", "7011", "南京", ["61012051", "61019970"]),
    ("ACQ-EAST", "898305054111327", "苏州市工业园区金百合超市", "5411", "苏州", ["61035808", "61035809"]),
    ("ACQ-NORTH", "898791054111008", "西安市雁塔区江南春超市", "5411", "西安", ["61051646", "61059565"]),
]
DEMO_USERS = [
    ("admin", Role.ADMIN, "ACQ-EAST", []),
    ("finance", Role.MERCHANT_FINANCE, "ACQ-EAST", ["898301054111439", "898301070111565"]),
    ("cashier", Role.CASHIER, "ACQ-EAST", ["898301054111439"]),
    ("support", Role.PROVIDER_SUPPORT, "ACQ-EAST", []),
    ("acquirer", Role.ACQUIRER_OPS, "ACQ-EAST", []),
    ("auditor", Role.AUDITOR, "ACQ-EAST", []),
    ("north-admin", Role.ADMIN, "ACQ-NORTH", []),
]


def load_demo(database: Database, settings: Settings) -> Iterator[str]:
    """Migrate, then load the demo data when the database is empty. Yields lines to print."""
    upgrade(database.engine)
    with database.unit_of_work() as session:
        if session.execute(select(func.count()).select_from(User)).scalar_one():
            yield "the database already holds data: demo data not loaded again"
        else:
            tenants = {code: get_or_create_tenant(session, code, code) for code in ("ACQ-EAST", "ACQ-NORTH")}
            for code, merchant_id, name, mcc, city, terminals in DEMO_MERCHANTS:
                tenant_id = tenants[code].id
                session.add(Merchant(merchant_id=merchant_id, tenant_id=tenant_id, name=name, mcc=mcc, city=city))
                session.flush()
                for terminal_id in terminals:
                    session.add(Terminal(terminal_id=terminal_id, merchant_id=merchant_id, tenant_id=tenant_id,
                                         model="Landi E350", location="一楼收银台"))
                record(session, DEMO, "merchant.add", "merchant", merchant_id, tenant_id=tenant_id,
                       after={"name": name, "mcc": mcc, "terminals": terminals})
            for username, role, code, merchants in DEMO_USERS:
                add_user(session, DEMO, tenant=tenants[code], username=username, password=DEMO_PASSWORD,
                         role=role, merchant_ids=merchants)
            yield "demo data loaded"
    yield f"open http://{settings.host}:{settings.port}/ and log in with one of these demo users:"
    for username, role, code, _ in DEMO_USERS:
        yield f"  {username:<12} password {DEMO_PASSWORD}   ({role.value}, tenant {code})"
