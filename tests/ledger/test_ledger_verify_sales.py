"""`recoup ledger verify` also proves that no sale gives back more than it took (issue 10, defect 1):
the refunds, voids and reversals that count (pending, awaiting funds, instructed, confirmed; not
failed) add up to at most the sale. Broken here by writing action rows straight into the database,
as a race or a hand edit would leave them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from tests.cases.test_case_world import MERCHANT_A, WHEN, admin
from tests.recovery.sale_world import SALE_MINOR, SALE_RRN, sale_with_three_cases
from tests.support.cli import run_cli
from tests.support.factories import World

from recoup.cases.models import Case
from recoup.config import Settings
from recoup.errors import InvalidInput
from recoup.ledger.rules import LedgerIntegrityError
from recoup.ledger.service import verify_ledger
from recoup.money import Money
from recoup.recovery.limits import ActionKind, ActionStatus, PriorAction, RefundLimitExceeded, check_refund, overdrawn
from recoup.recovery.models import RecoveryAction
from recoup.recovery.plans import ActionRequest
from recoup.recovery.service import perform

BROKEN = (f"sale {SALE_RRN} of merchant {MERCHANT_A} (tenant {{tenant}}): its refunds, voids and reversals add up "
          "to {given} CNY (pending, instructed or confirmed: actions {ids}), {excess} CNY more than the sale of "
          "796.00 CNY")


def _slip_in(world: World, case: str, kind: str, status: str, amount_minor: int, key: str,
             rrn: str = SALE_RRN) -> int:
    """An action row written behind the service's back."""
    with world.database.unit_of_work() as session:
        found = session.execute(select(Case).where(Case.number == case)).scalar_one()
        row = RecoveryAction(tenant_id=found.tenant_id, case_id=found.id, merchant_id=MERCHANT_A, kind=kind,
                             status=status, amount_minor=amount_minor, currency="CNY", sale_terminal_id="61027889",
                             sale_rrn=rrn, sale_settled=True, idempotency_key=key, request_hash="0" * 64,
                             requested_by="intruder", requested_at=WHEN)
        session.add(row)
        session.flush()
        return row.id


def _verify(world: World, tenant: str | None = None) -> tuple[int, int]:
    with world.database.unit_of_work() as session:
        report = verify_ledger(session, world.tenants[tenant].id if tenant else None)
    return report.sales, report.unknown_sales


def test_refunds_within_the_sale_verify_and_one_past_it_is_named(world: World) -> None:
    sale = sale_with_three_cases(world)
    first = perform(world.database, admin(world), sale.cases[0], ActionRequest("refund", "500.00"), "ok-1")
    assert _verify(world) == (1, 0)
    failed = _slip_in(world, sale.cases[1], "REFUND", "FAILED", SALE_MINOR, "failed-1")
    assert failed
    assert _verify(world) == (1, 0)
    extra = _slip_in(world, sale.cases[1], "REFUND", "PENDING", 29601, "pending-1")
    with pytest.raises(LedgerIntegrityError) as broken:
        _verify(world)
    tenant = world.tenants["A"].id
    assert broken.value.message == BROKEN.format(tenant=tenant, given="796.01", ids=f"{first.action['id']}, {extra}",
                                                 excess="0.01")
    assert isinstance(broken.value.detail, dict)
    assert broken.value.detail["sale_rrn"] == SALE_RRN
    assert _verify(world, "B") == (0, 0)  # another tenant's verify sees only its own sales


@pytest.mark.parametrize("status", ["PENDING", "AWAITING_FUNDS", "INSTRUCTED", "CONFIRMED"])
def test_every_counting_status_counts_a_void_after_a_refund(world: World, status: str) -> None:
    sale = sale_with_three_cases(world)
    _slip_in(world, sale.cases[0], "REFUND", "CONFIRMED", 100, "refund-1")
    _slip_in(world, sale.cases[2], "VOID", status, SALE_MINOR, "void-1")
    with pytest.raises(LedgerIntegrityError, match=f"sale {SALE_RRN} of merchant {MERCHANT_A}"):
        _verify(world)


def test_a_sale_no_file_shows_is_counted_as_not_checked(world: World) -> None:
    sale = sale_with_three_cases(world)
    _slip_in(world, sale.cases[2], "REFUND", "INSTRUCTED", 10**9, "ghost-1", rrn="799999999999")
    assert _verify(world) == (0, 1)


def test_ledger_verify_from_the_command_line_fails_naming_the_sale(world: World, database_url: str,
                                                                     settings: Settings) -> None:
    sale = sale_with_three_cases(world)
    env = {"RECOUP_VAR_DIR": str(settings.var_dir)}
    _slip_in(world, sale.cases[0], "REFUND", "INSTRUCTED", SALE_MINOR, "whole-1")
    verified = run_cli(["ledger", "verify"], database_url, env=env)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.strip().endswith("; 1 sales refunded or voided within their amount")
    second = _slip_in(world, sale.cases[1], "REFUND", "CONFIRMED", SALE_MINOR, "whole-2")
    broken = run_cli(["ledger", "verify"], database_url, env=env)
    assert (broken.returncode, broken.stdout) == (1, "")
    assert broken.stderr.startswith(f"error: sale {SALE_RRN} of merchant {MERCHANT_A}")
    assert f"1592.00 CNY (pending, instructed or confirmed: actions {second - 1}, {second})" in broken.stderr
    assert "Traceback" not in broken.stderr


kinds = st.sampled_from(list(ActionKind))
statuses = st.sampled_from(list(ActionStatus))


@given(st.integers(1, 10**7), st.lists(st.tuples(kinds, st.integers(1, 10**7), statuses), max_size=25))
def test_what_the_limits_accept_never_overdraws_and_overdrawn_is_the_excess(
        sale_minor: int, tries: list[tuple[ActionKind, int, ActionStatus]]) -> None:
    """Pure: any sequence the limits accept verifies; any sequence at all is judged by its counting sum."""
    sale = Money(sale_minor, "CNY")
    accepted: list[PriorAction] = []
    anything: list[PriorAction] = []
    for kind, minor, status in tries:
        amount = sale if kind != ActionKind.REFUND else Money(minor, "CNY")
        anything.append(PriorAction(kind, status, amount))
        try:
            check_refund(sale, accepted, kind, amount)
        except (RefundLimitExceeded, InvalidInput):  # refused: nothing recorded
            continue
        accepted.append(PriorAction(kind, status, amount))
        assert overdrawn(sale, accepted).minor == 0
    counting = sum(a.amount.minor for a in anything if a.status != ActionStatus.FAILED)
    assert overdrawn(sale, anything).minor == max(0, counting - sale_minor)
