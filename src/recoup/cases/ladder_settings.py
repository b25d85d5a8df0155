"""A tenant's escalation ladder settings (SPEC section 5: deadlines configurable per tenant)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.audit.service import record
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.cases.ladder import LadderConfig, deadline_for, owner_role
from recoup.cases.models import Case, LadderSetting
from recoup.cases.repository import STOPPED_CLOCK
from recoup.db import utcnow


def ladder_view(config: LadderConfig) -> dict[str, object]:
    days: dict[str, int] = {rung.value: days for rung, days in config.rung_days.items()}
    days.update({stage.value: days for stage, days in config.stage_days.items()})
    return {"days": days, "dispute_window_days": config.dispute_window_days,
            "on_overdue": {rung.value: action.value for rung, action in config.on_overdue.items()},
            "owner_roles": {rung.value: role for rung, role in config.owner_roles.items()}}


def set_ladder(session: Session, principal: Principal, overrides: dict[str, object],
               now: datetime | None = None) -> dict[str, object]:
    """Change the tenant's ladder (validated first); the deadlines of its open cases follow."""
    principal.require(Permission.MANAGE_MERCHANTS)
    config = LadderConfig.with_overrides(overrides)
    moment = now or utcnow()
    setting = session.get(LadderSetting, principal.tenant_id)
    before = dict(setting.overrides) if setting is not None else {}
    if setting is None:
        setting = LadderSetting(tenant_id=principal.tenant_id, overrides=overrides, updated_by=principal.username)
        session.add(setting)
    setting.overrides, setting.updated_by, setting.updated_at = dict(overrides), principal.username, moment
    open_cases = session.execute(select(Case).where(Case.tenant_id == principal.tenant_id,
                                                    Case.state.not_in(STOPPED_CLOCK))).scalars()
    for case in open_cases:
        case.deadline_at = deadline_for(case.rung, case.stage, case.rung_started_at, case.txn_time, config)
        case.owner_role = owner_role(case.rung, config)
    session.flush()
    record(session, principal.actor(), "ladder.set", "tenant", str(principal.tenant_id), before=before,
           after=dict(overrides), at=moment)
    return ladder_view(config)
