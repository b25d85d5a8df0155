"""The one query every repository starts from: rows of the caller's tenant and, for merchant roles, merchants."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, select

from recoup.auth.principal import Principal

Row = TypeVar("Row")


def scoped(model: type[Row], principal: Principal) -> Select[Row]:
    """`select(model)` limited to what `principal` may see; `model` has tenant_id and merchant_id columns."""
    columns: Any = model
    query: Select[Row] = select(model).where(columns.tenant_id == principal.tenant_id)
    if principal.limited_to_merchants:
        query = query.where(columns.merchant_id.in_(sorted(principal.merchant_ids)))
    return query
