"""The escalation ladder (SPEC section 5): who owns a case at each rung and by when it must move.

Pure rules: a worker asks `overdue_action` what is due for a case now and performs it exactly
once; deadlines come from `deadline_for` with the tenant's `LadderConfig`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from recoup.cases.states import FINAL_STATES, CaseState, parse_state
from recoup.errors import InvalidInput


class Rung(StrEnum):
    MERCHANT = "MERCHANT"
    PROVIDER_SUPPORT = "PROVIDER_SUPPORT"
    ACQUIRER = "ACQUIRER"
    SCHEME_DISPUTE = "SCHEME_DISPUTE"
    LEGAL = "LEGAL"


class DisputeStage(StrEnum):
    RETRIEVAL = "RETRIEVAL"  # 调单
    CHARGEBACK = "CHARGEBACK"  # 退单
    REPRESENTMENT = "REPRESENTMENT"  # 再请款
    PRE_ARBITRATION = "PRE_ARBITRATION"
    ARBITRATION = "ARBITRATION"  # 仲裁


class OverdueAction(StrEnum):
    ESCALATE = "ESCALATE"
    ALERT = "ALERT"
    NONE = "NONE"


RUNGS: tuple[Rung, ...] = tuple(Rung)
STAGES: tuple[DisputeStage, ...] = tuple(DisputeStage)
# Steps taken before a chargeback is raised: raising one is impossible once the window closes,
# so their deadlines are cut to the window and an escalation past it goes straight to LEGAL.
_BEFORE_CHARGEBACK = frozenset({Rung.MERCHANT, Rung.PROVIDER_SUPPORT, Rung.ACQUIRER})
_NEEDS_OPEN_WINDOW = frozenset({DisputeStage.RETRIEVAL, DisputeStage.CHARGEBACK})

DEFAULT_RUNG_DAYS: dict[Rung, int] = {
    Rung.MERCHANT: 2, Rung.PROVIDER_SUPPORT: 3, Rung.ACQUIRER: 10, Rung.LEGAL: 90,
}
DEFAULT_STAGE_DAYS: dict[DisputeStage, int] = {
    DisputeStage.RETRIEVAL: 20, DisputeStage.CHARGEBACK: 30, DisputeStage.REPRESENTMENT: 30,
    DisputeStage.PRE_ARBITRATION: 30, DisputeStage.ARBITRATION: 10,
}
DEFAULT_DISPUTE_WINDOW_DAYS = 120
DEFAULT_OWNER_ROLES: dict[Rung, str] = {
    Rung.MERCHANT: "merchant_finance", Rung.PROVIDER_SUPPORT: "provider_support",
    Rung.ACQUIRER: "acquirer_ops", Rung.SCHEME_DISPUTE: "acquirer_ops", Rung.LEGAL: "merchant_finance",
}
# Within a scheme dispute the scheme's own clock drives the next stage, so a person is alerted
# rather than the case being pushed automatically.
DEFAULT_ON_OVERDUE: dict[Rung, OverdueAction] = {
    Rung.MERCHANT: OverdueAction.ESCALATE, Rung.PROVIDER_SUPPORT: OverdueAction.ESCALATE,
    Rung.ACQUIRER: OverdueAction.ESCALATE, Rung.SCHEME_DISPUTE: OverdueAction.ALERT,
    Rung.LEGAL: OverdueAction.ALERT,
}


@dataclass(frozen=True)
class Step:
    """A place on the ladder: a rung, and for SCHEME_DISPUTE the dispute stage."""

    rung: Rung
    stage: DisputeStage | None = None

    def __post_init__(self) -> None:
        if (self.rung == Rung.SCHEME_DISPUTE) != (self.stage is not None):
            raise InvalidInput("a dispute stage goes with the SCHEME_DISPUTE rung, and only with it")


@dataclass(frozen=True)
class LadderConfig:
    """A tenant's ladder settings; build one from a settings dict with `with_overrides`."""

    rung_days: Mapping[Rung, int] = field(default_factory=lambda: dict(DEFAULT_RUNG_DAYS))
    stage_days: Mapping[DisputeStage, int] = field(default_factory=lambda: dict(DEFAULT_STAGE_DAYS))
    dispute_window_days: int = DEFAULT_DISPUTE_WINDOW_DAYS
    owner_roles: Mapping[Rung, str] = field(default_factory=lambda: dict(DEFAULT_OWNER_ROLES))
    on_overdue: Mapping[Rung, OverdueAction] = field(default_factory=lambda: dict(DEFAULT_ON_OVERDUE))

    @classmethod
    def with_overrides(cls, overrides: Mapping[str, object]) -> LadderConfig:
        """Defaults with a tenant's changes, e.g. {"days": {"MERCHANT": 5, "CHARGEBACK": 45},
        "dispute_window_days": 90, "on_overdue": {"ACQUIRER": "ALERT"}, "owner_roles": {...}}."""
        unknown = set(overrides) - {"days", "dispute_window_days", "on_overdue", "owner_roles"}
        if unknown:
            raise InvalidInput(f"unknown ladder settings: {', '.join(sorted(unknown))}")
        rung_days, stage_days = dict(DEFAULT_RUNG_DAYS), dict(DEFAULT_STAGE_DAYS)
        for name, days in _mapping(overrides, "days").items():
            if name in Rung.__members__ and name != Rung.SCHEME_DISPUTE:
                rung_days[Rung(name)] = _positive_days(name, days)
            elif name in DisputeStage.__members__:
                stage_days[DisputeStage(name)] = _positive_days(name, days)
            else:
                raise InvalidInput(f"no deadline can be set for {name!r}: name a rung or a dispute stage")
        window = overrides.get("dispute_window_days", DEFAULT_DISPUTE_WINDOW_DAYS)
        on_overdue = dict(DEFAULT_ON_OVERDUE)
        for name, action in _mapping(overrides, "on_overdue").items():
            on_overdue[_rung(name)] = _overdue_action(action)
        owner_roles = dict(DEFAULT_OWNER_ROLES)
        for name, role in _mapping(overrides, "owner_roles").items():
            if not isinstance(role, str) or not role.strip():
                raise InvalidInput(f"the owner role of {name} must be a role name")
            owner_roles[_rung(name)] = role
        window_days = _positive_days("dispute_window_days", window)
        return cls(rung_days, stage_days, window_days, owner_roles, on_overdue)

    def days_for(self, step: Step) -> int:
        return self.stage_days[step.stage] if step.stage is not None else self.rung_days[step.rung]


DEFAULT_LADDER = LadderConfig()


@dataclass(frozen=True)
class CaseOnLadder:
    """What the ladder needs to know of a case; the worker builds it from the stored case."""

    state: CaseState | str
    rung: Rung | str
    stage: DisputeStage | str | None
    rung_started_at: datetime
    txn_time: datetime | None = None


def first_step() -> Step:
    return Step(Rung.MERCHANT)


def next_rung(rung: Rung | str, stage: DisputeStage | str | None = None) -> Step | None:
    """The step after (rung, stage): the next dispute stage inside SCHEME_DISPUTE, else the next
    rung (a dispute starts with RETRIEVAL); None at the top (LEGAL)."""
    step = Step(Rung(rung), DisputeStage(stage) if stage is not None else None)
    if step.stage is not None:
        position = STAGES.index(step.stage)
        if position + 1 < len(STAGES):
            return Step(Rung.SCHEME_DISPUTE, STAGES[position + 1])
    position = RUNGS.index(step.rung)
    if position + 1 == len(RUNGS):
        return None
    upper = RUNGS[position + 1]
    return Step(upper, DisputeStage.RETRIEVAL if upper == Rung.SCHEME_DISPUTE else None)


def owner_role(rung: Rung | str, config: LadderConfig = DEFAULT_LADDER) -> str:
    return config.owner_roles[Rung(rung)]


def dispute_window_closes(txn_time: datetime, config: LadderConfig = DEFAULT_LADDER) -> datetime:
    """The last moment a scheme dispute can be raised for a transaction made at `txn_time`."""
    return txn_time + timedelta(days=config.dispute_window_days)


def deadline_for(
    rung: Rung | str,
    stage: DisputeStage | str | None,
    started_at: datetime,
    txn_time: datetime | None,
    config: LadderConfig = DEFAULT_LADDER,
) -> datetime:
    """When the case must leave this step: start plus the step's days, cut to the dispute window
    for the steps that come before a chargeback (if the window was still open at the start)."""
    step = Step(Rung(rung), DisputeStage(stage) if stage is not None else None)
    deadline = started_at + timedelta(days=config.days_for(step))
    if txn_time is not None and _before_chargeback(step):
        closes = dispute_window_closes(txn_time, config)
        if started_at < closes:
            deadline = min(deadline, closes)
    return deadline


def escalation_target(
    case: CaseOnLadder, now: datetime, config: LadderConfig = DEFAULT_LADDER
) -> Step | None:
    """Where an escalation made `now` takes the case: the next step, or LEGAL when that step would
    raise a dispute after the window closed."""
    target = next_rung(case.rung, case.stage)
    if target is None or target.stage not in _NEEDS_OPEN_WINDOW or case.txn_time is None:
        return target
    if now > dispute_window_closes(case.txn_time, config):
        return Step(Rung.LEGAL)
    return target


def overdue_action(case: CaseOnLadder, now: datetime, config: LadderConfig = DEFAULT_LADDER) -> OverdueAction:
    """What is due for `case` at `now`: NONE before its deadline or once it is resolved or over,
    else the configured action for its rung (ALERT when there is nowhere higher to go)."""
    state = parse_state(case.state)
    if state in FINAL_STATES or state == CaseState.RESOLVED:
        return OverdueAction.NONE
    deadline = deadline_for(case.rung, case.stage, case.rung_started_at, case.txn_time, config)
    if now <= deadline:
        return OverdueAction.NONE
    action = config.on_overdue[Rung(case.rung)]
    if action == OverdueAction.ESCALATE and escalation_target(case, now, config) is None:
        return OverdueAction.ALERT
    return action


def _before_chargeback(step: Step) -> bool:
    return step.rung in _BEFORE_CHARGEBACK or step.stage == DisputeStage.RETRIEVAL


def _mapping(overrides: Mapping[str, object], key: str) -> Mapping[str, object]:
    value = overrides.get(key, {})
    if not isinstance(value, Mapping):
        raise InvalidInput(f"ladder setting {key!r} must map names to values")
    return value


def _rung(name: str) -> Rung:
    if name not in Rung.__members__:
        raise InvalidInput(f"unknown rung {name!r}; rungs: {', '.join(RUNGS)}")
    return Rung(name)


def _overdue_action(value: object) -> OverdueAction:
    if value not in (OverdueAction.ESCALATE, OverdueAction.ALERT):
        raise InvalidInput(f"an overdue case either ESCALATEs or ALERTs its owner, not {value!r}")
    return OverdueAction(str(value))


def _positive_days(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise InvalidInput(f"{name} must be a positive whole number of days, not {value!r}")
    return value
