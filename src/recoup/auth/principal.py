"""Who is asking, and the part of the data they may see."""

from __future__ import annotations

from dataclasses import dataclass

from recoup.audit.service import Actor
from recoup.auth.roles import MERCHANT_ROLES, Permission, Role, may
from recoup.errors import Forbidden


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    tenant_id: int
    role: Role
    merchant_ids: frozenset[str]
    locale: str = "zh_CN"
    origin: str = "web"

    @property
    def limited_to_merchants(self) -> bool:
        """Merchant roles see only their merchants; tenant-wide roles see every merchant of the tenant."""
        return self.role in MERCHANT_ROLES

    def sees_merchant(self, merchant_id: str) -> bool:
        return not self.limited_to_merchants or merchant_id in self.merchant_ids

    def require(self, permission: Permission) -> None:
        if not may(self.role, permission):
            raise Forbidden(f"your role ({self.role.value}) may not {permission.value.replace('_', ' ')}")

    def actor(self) -> Actor:
        return Actor(self.username, self.tenant_id, self.origin)
