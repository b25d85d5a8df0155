"""`recoup case list|show --format json` carry the fields issue 5 names, amounts as positive decimal
strings: the money that must move to put each case right."""

from __future__ import annotations

import json
import re
from datetime import datetime

from sqlalchemy import select
from tests.cases.test_case_world import MERCHANT_A, TERMINAL_A, Finding, add_sale, admin, save
from tests.support.cli import run_cli
from tests.support.factories import World

from recoup.cases.repository import alerts_of, findings_of, get_case, timeline, transactions_of
from recoup.cases.schemas import action_row, alert_row, case_detail, case_row, event_row, finding_row, transaction_row
from recoup.cases.service import add_note
from recoup.ledger.service import ACCOUNT_ORDER, balance_map
from recoup.money import format_major
from recoup.recovery.models import RecoveryAction
from recoup.recovery.plans import ActionRequest
from recoup.recovery.service import perform

LIST_FIELDS = {"number", "kind", "cause", "state", "rung", "merchant_id", "terminal_id", "rrn", "order_no",
               "amount_at_stake", "amount_recovered", "currency"}
ACTION_FIELDS = {"kind", "amount", "state", "idempotency_key"}
POSITIVE_DECIMAL = re.compile(r"^\d+\.\d{2}$")


def _cases(world: World) -> list[str]:
    with world.database.unit_of_work() as session:
        for rrn, amount in (("770000000001", 128000), ("770000000002", 1280), ("770000000003", 5000),
                            ("770000000004", 9900), ("770000000009", 500000)):
            add_sale(session, world.tenants["A"].id, rrn, amount, order_no=f"NO-{rrn[-1]}")
    return save(world, [
        Finding("OVERCHARGE", MERCHANT_A, "770000000001", 128000, 12800, order_no="NO-1", cause="EXTRA_DIGIT"),
        Finding("UNDERCHARGE", MERCHANT_A, "770000000002", 1280, 12800, order_no="NO-2", cause="MISSING_DIGIT"),
        Finding("DUPLICATE_CHARGE", MERCHANT_A, "770000000003", 5000, 0, related_rrn="770000000000"),
        Finding("SETTLEMENT_MISMATCH", MERCHANT_A, "770000000004", 9000, 9900),
        Finding("UNSETTLED", MERCHANT_A, "770000000005", 7000, 7000),
    ]).cases


def test_list_and_show_carry_the_issues_fields_with_positive_amounts(world: World, database_url: str) -> None:
    numbers = _cases(world)
    perform(world.database, admin(world), numbers[0], ActionRequest("refund", "1152.00"), "json-1")
    listed = run_cli(["case", "list", "--format", "json", "--user", "a-auditor"], database_url)
    assert listed.returncode == 0, listed.stderr
    rows = {row["number"]: row for row in json.loads(listed.stdout)}
    assert set(rows) == set(numbers)
    for row in rows.values():
        assert LIST_FIELDS <= set(row), LIST_FIELDS - set(row)
        assert POSITIVE_DECIMAL.match(row["amount_at_stake"])
        assert POSITIVE_DECIMAL.match(row["amount_recovered"])
        assert (row["merchant_id"], row["currency"], row["rung"]) == (MERCHANT_A, "CNY", "MERCHANT")
    # the overcharged or missing difference, the duplicate's and the uncleared sale's amount
    assert [(rows[n]["kind"], rows[n]["amount_at_stake"]) for n in numbers] == [
        ("OVERCHARGE", "1152.00"), ("UNDERCHARGE", "115.20"), ("DUPLICATE_CHARGE", "50.00"),
        ("SETTLEMENT_MISMATCH", "9.00"), ("UNSETTLED", "70.00")]
    first = rows[numbers[0]]
    assert {key: first[key] for key in ("cause", "state", "terminal_id", "rrn", "order_no")} == {
        "cause": "EXTRA_DIGIT", "state": "ACTION_PENDING", "terminal_id": TERMINAL_A, "rrn": "770000000001",
        "order_no": "NO-1"}

    shown = run_cli(["case", "show", numbers[0], "--format", "json", "--user", "a-auditor"], database_url)
    detail = json.loads(shown.stdout)
    assert {key: detail[key] for key in LIST_FIELDS} == {key: first[key] for key in LIST_FIELDS}
    assert [(a["kind"], a["amount"], a["state"], a["idempotency_key"]) for a in detail["actions"]] == [
        ("REFUND", "1152.00", "INSTRUCTED", "json-1")]
    assert all(ACTION_FIELDS <= set(action) for action in detail["actions"])
    events = [(e["event"], e["to_state"]) for e in detail["timeline"]]
    assert events[0] == ("opened", "OPEN")
    assert ("moved", "ACTION_PENDING") in events
    assert all({"at", "actor", "event"} <= set(event) for event in detail["timeline"])



def test_the_case_json_is_what_the_orm_reads_of_the_case_say(world: World) -> None:
    """case_detail reads each table once as plain rows (and the page hands the same rows to its sections): its
    JSON is the one built from the ORM's own reads of the same case (timeline, actions, findings, lines,
    alerts, the ledger's balance_map), for every case of a small world, one with a refund and a note."""
    numbers = _cases(world)
    perform(world.database, admin(world), numbers[0], ActionRequest("refund", "10.00"), "json-same-1")
    with world.database.unit_of_work() as session:
        add_note(session, admin(world), numbers[0], "called the payer")
    with world.database.unit_of_work() as session:
        for number in numbers:
            case = get_case(session, admin(world), number)
            shown = case_detail(session, case)
            balances = balance_map(session, case.tenant_id, case.merchant_id)
            actions = session.execute(select(RecoveryAction).where(RecoveryAction.case_id == case.id)
                                      .order_by(RecoveryAction.id)).scalars()
            expected = {
                **case_row(case), "summary": case.summary, "rung_started_at": _iso(case.rung_started_at),
                "closed_at": _iso(case.closed_at), "txn_time": _iso(case.txn_time),
                "timeline": [event_row(event) for event in timeline(session, case.id)],
                "actions": [action_row(action) for action in actions],
                "findings": [finding_row(finding) for finding in findings_of(session, case.id)],
                "transactions": [transaction_row(line) for line in transactions_of(session, case)],
                "alerts": [alert_row(alert) for alert in alerts_of(session, case.id)],
                "balance": {account.value: format_major(sum(v for k, v in balances.items() if k.account == account
                                                            and k.currency == case.currency), case.currency)
                            for account in ACCOUNT_ORDER},
            }
            assert shown == expected
            if number == numbers[0]:
                assert len(expected["actions"]) == 1
                assert "called the payer" in {event["note"] for event in expected["timeline"]}
            assert json.loads(json.dumps(shown)) == shown  # JSON's own types only (sent without an encoder walk)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
