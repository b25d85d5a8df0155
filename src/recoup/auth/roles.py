"""Roles of SPEC section 1 and what each may do. Pure: no framework import."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CASHIER = "cashier"
    MERCHANT_FINANCE = "merchant_finance"
    PROVIDER_SUPPORT = "provider_support"
    ACQUIRER_OPS = "acquirer_ops"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Permission(StrEnum):
    READ = "read"                    # see data in scope
    STOP_TERMINAL = "stop_terminal"
    RESTART_TERMINAL = "restart_terminal"
    IMPORT = "import"
    RECONCILE = "reconcile"
    WORK_CASES = "work_cases"
    MOVE_MONEY = "move_money"
    DISPUTE = "dispute"
    MANAGE_USERS = "manage_users"
    MANAGE_MERCHANTS = "manage_merchants"
    READ_AUDIT = "read_audit"


_ALL = frozenset(Permission)
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.CASHIER: frozenset({Permission.READ, Permission.STOP_TERMINAL, Permission.WORK_CASES}),
    Role.MERCHANT_FINANCE: frozenset({
        Permission.READ, Permission.STOP_TERMINAL, Permission.RESTART_TERMINAL, Permission.IMPORT,
        Permission.RECONCILE, Permission.WORK_CASES, Permission.MOVE_MONEY,
    }),
    Role.PROVIDER_SUPPORT: frozenset({
        Permission.READ, Permission.STOP_TERMINAL, Permission.IMPORT, Permission.RECONCILE,
        Permission.WORK_CASES, Permission.MOVE_MONEY,
    }),
    Role.ACQUIRER_OPS: frozenset({
        Permission.READ, Permission.STOP_TERMINAL, Permission.IMPORT, Permission.RECONCILE,
        Permission.WORK_CASES, Permission.MOVE_MONEY, Permission.DISPUTE,
    }),
    Role.AUDITOR: frozenset({Permission.READ, Permission.READ_AUDIT}),
    Role.ADMIN: _ALL,
}

# Merchant roles see only their own merchants; the others see the whole tenant.
MERCHANT_ROLES = frozenset({Role.CASHIER, Role.MERCHANT_FINANCE})


def may(role: Role, permission: Permission) -> bool:
    return permission in GRANTS[role]
