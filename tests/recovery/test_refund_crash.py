"""Issue 10, crash: `kill -9` of a process in the middle of a refund, between recording it and the
provider's answer. After the restart the worker finishes it once: nothing doubled, the sale still
guarded, the ledger balanced, the audit trail intact."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
from tests.cases.test_case_world import MERCHANT_A, WHEN, principal
from tests.recovery.sale_world import (
    SALE_MINOR,
    SALE_RRN,
    actions,
    audit_actions,
    counting_minor,
    ledger,
    sale_with_three_cases,
)
from tests.support.factories import World

from recoup.audit.setup import AuditSetup
from recoup.auth.principal import Principal
from recoup.cases.worker import run_pass
from recoup.config import Settings
from recoup.db import Database
from recoup.ledger.service import merchant_accounts
from recoup.recovery.limits import RefundLimitExceeded
from recoup.recovery.plans import ActionRequest
from recoup.recovery.provider import Instruction, Receipt, RecordingProvider
from recoup.recovery.service import perform

USER = "a-merchant_finance"


class StuckProvider:
    """Takes the instruction, says so in a file, then never answers (until the process is killed)."""

    name = "stuck"

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def execute(self, instruction: Instruction) -> Receipt:
        self.marker.write_text(instruction.reference)
        time.sleep(600)
        raise AssertionError("the process should have been killed")


def _refund_then_hang(settings: Settings, who: Principal, case: str, marker: Path) -> None:
    database = Database(settings.resolved_database_url, audit=AuditSetup.from_settings(settings))
    perform(database, who, case, ActionRequest("refund", "796.00", rrn=SALE_RRN), "crash-1",
            provider=StuckProvider(marker), now=WHEN)


def _kill_when_stuck(settings: Settings, who: Principal, case: str, marker: Path) -> None:
    child = multiprocessing.get_context("fork").Process(target=_refund_then_hang, args=(settings, who, case, marker))
    child.start()
    give_up = time.monotonic() + 120
    while not marker.exists() and child.is_alive() and time.monotonic() < give_up:
        time.sleep(0.05)
    assert marker.exists(), "the refund never reached the provider"
    assert child.pid is not None
    os.kill(child.pid, signal.SIGKILL)
    child.join(timeout=30)
    assert child.exitcode == -signal.SIGKILL


def test_a_refund_killed_before_the_provider_answers_is_finished_once_by_the_worker(
        world: World, settings: Settings, tmp_path: Path) -> None:
    sale = sale_with_three_cases(world)
    who = principal(world.database, USER)
    settings.keyring()
    world.database.dispose()
    _kill_when_stuck(settings, who, sale.cases[0], tmp_path / "stuck")
    # Recorded and held before the provider was called: the sale is spoken for, on every case.
    (stuck,) = actions(world)
    assert (stuck.status, stuck.held_minor, stuck.amount_minor) == ("PENDING", SALE_MINOR, SALE_MINOR)
    assert ledger(world).sales == 1
    with pytest.raises(RefundLimitExceeded, match="would exceed the sale"):
        perform(world.database, who, sale.cases[1], ActionRequest("refund", "0.01", rrn=SALE_RRN), "after-crash",
                now=WHEN + timedelta(minutes=1))
    # The restarted worker finishes it, once.
    later = WHEN + timedelta(minutes=3)
    assert run_pass(world.database, later, RecordingProvider()).resumed == 1
    assert run_pass(world.database, later + timedelta(minutes=5), RecordingProvider()).resumed == 0
    (done,) = actions(world)
    assert (done.status, done.attempts, done.provider) == ("INSTRUCTED", 1, "recorded")
    again = perform(world.database, who, sale.cases[0], ActionRequest("refund", "796.00", rrn=SALE_RRN), "crash-1",
                    now=later)
    assert again.replayed
    assert counting_minor(world) == SALE_MINOR
    with world.database.unit_of_work() as session:
        accounts = {row["account"]: row["balance_minor"] for row in merchant_accounts(session, who, MERCHANT_A)}
    assert (accounts["PAYABLE_TO_PAYER"], accounts["HELD"]) == (SALE_MINOR, 0)
    assert ledger(world).sales == 1
    audited = audit_actions(world)
    assert (audited["case.action_requested"], audited["case.action_instructed"],
            audited["case.refund.refused"]) == (1, 1, 1)
