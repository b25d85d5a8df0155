"""The acquirer's desk in the browser: build the response from the case's evidence, submit it, follow the
cycle to a won arbitration; then the ledger, a settlement line and the incident report tell the story."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.disputes.dispute_world import (
    SALE_MINOR,
    SALE_RRN,
    add_evidence,
    available,
    import_settlement,
    ledger_ok,
    ops,
    sale_case,
    settlement_file,
)
from tests.support.factories import PASSWORD, World
from tests.web.conftest import browser, live_url  # noqa: F401 (fixtures)

from recoup.config import Settings
from recoup.db import utcnow
from recoup.disputes.models import Dispute, DisputeSubmissionItem
from recoup.disputes.service import OpenRequest, open_dispute
from recoup.evidence.incident_facts import gather_facts
from recoup.evidence.models import EvidenceItem

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_acquirer_builds_the_response_in_the_browser_and_wins_in_arbitration(
        live_url: str, browser: object, world: World, settings: Settings, tmp_path: Path) -> None:  # noqa: F811
    number = sale_case(world, when=utcnow() - timedelta(days=3))
    receipt = add_evidence(world, number, "receipt", "receipt.png")
    before = available(world)
    with world.database.unit_of_work() as session:
        dispute_id = open_dispute(session, ops(world), number, OpenRequest("unionpay", "chargeback", "4507",
                                                                           "1280.00", "CB-WEB"), utcnow()).id
    assert available(world) == before - SALE_MINOR
    page = browser.new_page(locale="en-US")  # type: ignore[attr-defined]
    page.goto(f"{live_url}/login")
    page.fill("input[name=username]", "a-acquirer_ops")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.goto(f"{live_url}/disputes")
    assert "退单" in page.inner_text("[data-testid=dispute-list]")  # Chinese by default
    page.click(f"a[href='/disputes/{dispute_id}']")
    assert "缺少" in page.inner_text("[data-testid=called-for-slip]")  # the slip the reason code calls for
    slip = add_evidence(world, number, "slip", "slip.png")
    page.reload()
    page.check(f"[data-testid=evidence-{receipt}]")
    page.check(f"[data-testid=evidence-{slip}]")
    page.click("[data-testid=preview]")
    previewed = page.inner_text("[data-testid=manifest-sha256]")
    assert re.fullmatch(r"[0-9a-f]{64}", previewed)
    page.click("[data-testid=submit-response]")
    assert page.inner_text("[data-testid=dispute-stage]") == "再请款"
    assert page.inner_text("[data-testid=submitted-sha256]") == previewed
    page.select_option("[data-testid=advance-stage]", "PRE_ARBITRATION")
    page.click("[data-testid=advance]")
    assert page.inner_text("[data-testid=dispute-stage]") == "预仲裁"
    page.select_option("[data-testid=advance-stage]", "ARBITRATION")
    page.click("[data-testid=advance]")
    page.select_option("[data-testid=outcome-choice]", "WON")
    page.click("[data-testid=record-outcome]")
    assert "胜诉" in page.inner_text("[data-testid=dispute-state]")
    assert available(world) == before
    ledger_ok(world)
    settled = settlement_file(tmp_path / "settlement.csv", ("CHARGEBACK", SALE_RRN, "1280.00"),
                              ("CHARGEBACK_REVERSAL", SALE_RRN, "1280.00"))
    assert import_settlement(world, settings, settled).disputes_confirmed == 2  # the later settlement file
    page.reload()
    assert "已由清算文件确认" in page.inner_text("[data-testid=debit-confirmed]")
    assert "已由清算文件确认" in page.inner_text("[data-testid=credit-confirmed]")
    page.close()
    assert available(world) == before  # confirming moved no money
    ledger_ok(world)
    with world.database.unit_of_work() as session:
        frozen = {(i.evidence_id, i.sha256) for i in session.execute(select(DisputeSubmissionItem)).scalars()}
        assert frozen == {(i.id, i.sha256) for i in session.execute(select(EvidenceItem)).scalars()}
        dispute = session.execute(select(Dispute)).scalar_one()
        assert dispute.debit_confirmed_at is not None
        assert dispute.credit_confirmed_at is not None
        story = [e.event for e in gather_facts(session, ops(world), number).timeline if e.event.startswith("dispute")]
    assert story == ["dispute.opened", "dispute.respond", "dispute.advance", "dispute.advance", "dispute.outcome",
                     "dispute.confirmed", "dispute.confirmed"]
