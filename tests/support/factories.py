"""Factories: tenants, merchants, terminals and users of every role."""

from __future__ import annotations

from dataclasses import dataclass

from recoup.audit.service import Actor
from recoup.auth.models import Tenant
from recoup.auth.roles import Role
from recoup.auth.service import add_user, get_or_create_tenant
from recoup.db import Database
from recoup.merchants.models import Merchant, Terminal

FACTORY = Actor("test-factory", None, "test")
PASSWORD = "correct-horse-battery"
# tenant code -> (merchant id, terminal id)
OBJECTS = {"A": ("898301054111439", "61027889"), "B": ("898791054111008", "61051646")}


@dataclass
class World:
    """Two tenants, each with a merchant, a terminal and users of every role."""

    database: Database
    tenants: dict[str, Tenant]

    @staticmethod
    def username(tenant: str, role: Role) -> str:
        return f"{tenant.lower()}-{role.value}"


def build_world(database: Database) -> World:
    tenants: dict[str, Tenant] = {}
    with database.unit_of_work() as session:
        for code, (merchant_id, terminal_id) in OBJECTS.items():
            tenant = get_or_create_tenant(session, code)
            tenants[code] = tenant
            session.add(Merchant(merchant_id=merchant_id, tenant_id=tenant.id, name=f"商户{code}", mcc="5411"))
            session.flush()
            session.add(Terminal(terminal_id=terminal_id, merchant_id=merchant_id, tenant_id=tenant.id,
                                 model="Landi E350", location="一楼收银台"))
            for role in Role:
                add_user(session, FACTORY, tenant=tenant, username=f"{code.lower()}-{role.value}",
                         password=PASSWORD, role=role, merchant_ids=[merchant_id])
    return World(database, tenants)


def token_for(database: Database, username: str) -> str:
    from recoup.auth.service import issue_token

    with database.unit_of_work() as session:
        return issue_token(session, FACTORY, username, "test")
