"""The tenant's ladder deadlines and collection QR account as page forms: the typed values checked per
field, then the same services as PUT /api/v1/ladder and /api/v1/qr-account."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from recoup.admin.forms import Problems
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.cases.ladder import STAGES, OverdueAction, Rung
from recoup.cases.ladder_settings import ladder_view, set_ladder
from recoup.cases.repository import ladder_config, ladder_overrides
from recoup.recovery.qr_account import QrAccountTemplate, set_template

DAY_RUNGS = tuple(rung.value for rung in Rung if rung != Rung.SCHEME_DISPUTE)
DAY_STAGES = tuple(stage.value for stage in STAGES)
OVERDUE_RUNGS = tuple(rung.value for rung in Rung)
ACTIONS = tuple(action.value for action in OverdueAction)
MAX_DAYS = 3650


def ladder_values(session: Session, principal: Principal) -> dict[str, str]:
    """The form's fields as the tenant's ladder has them now: days_<RUNG>, window, overdue_<RUNG>."""
    view = ladder_view(ladder_config(session, principal.tenant_id))
    days: Mapping[str, int] = view["days"]  # type: ignore[assignment]
    actions: Mapping[str, str] = view["on_overdue"]  # type: ignore[assignment]
    values = {f"days_{name}": str(days[name]) for name in (*DAY_RUNGS, *DAY_STAGES)}
    values |= {f"overdue_{name}": actions[name] for name in OVERDUE_RUNGS}
    values["dispute_window_days"] = str(view["dispute_window_days"])
    return values


def save_ladder(session: Session, principal: Principal, typed: Mapping[str, str], now: datetime) -> None:
    principal.require(Permission.MANAGE_MERCHANTS)
    problems = Problems()
    days = {name: _days(problems, f"days_{name}", typed.get(f"days_{name}", "")) for name in (*DAY_RUNGS, *DAY_STAGES)}
    window = _days(problems, "dispute_window_days", typed.get("dispute_window_days", ""))
    on_overdue = {}
    for name in OVERDUE_RUNGS:
        action = typed.get(f"overdue_{name}", "")
        if action not in ACTIONS:
            problems.add(f"overdue_{name}", "choose what happens when it is overdue")
        on_overdue[name] = action
    problems.check()
    overrides: dict[str, object] = {"days": days, "dispute_window_days": window, "on_overdue": on_overdue}
    kept = ladder_overrides(session, principal.tenant_id).get("owner_roles")
    if kept:
        overrides["owner_roles"] = kept  # not on this form: left as they are
    set_ladder(session, principal, overrides, now)


def _days(problems: Problems, field: str, text: str) -> int:
    cleaned = text.strip().removesuffix("天").removesuffix("days").strip()
    if not cleaned.isascii() or not cleaned.isdigit() or not 1 <= int(cleaned) <= MAX_DAYS:
        problems.add(field, "a whole number of days from 1 to {count}", count=MAX_DAYS)
        return 0
    return int(cleaned)


def save_qr_account(session: Session, principal: Principal, tag: str, gui: str, default: QrAccountTemplate,
                    now: datetime) -> None:
    principal.require(Permission.MANAGE_MERCHANTS)
    problems = Problems()
    cleaned_tag, cleaned_gui = tag.strip(), gui.strip()
    number = int(cleaned_tag) if cleaned_tag.isascii() and cleaned_tag.isdigit() else -1
    if len(cleaned_tag) != 2 or not 2 <= number <= 51:
        problems.add("tag", "two digits from 02 to 51")
    elif number >= 26 and not cleaned_gui:
        problems.add("gui", "a template tag from 26 to 51 needs the network's GUI")
    elif number <= 25 and cleaned_gui:
        problems.add("gui", "a tag from 02 to 25 holds the account alone: leave the GUI empty")
    if len(cleaned_gui) > 32:
        problems.add("gui", "at most {count} characters", count=32)
    problems.check()
    set_template(session, principal, QrAccountTemplate(cleaned_tag, cleaned_gui), default, now)
