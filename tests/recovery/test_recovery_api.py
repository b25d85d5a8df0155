"""Recovery through the API, the command line and the pages: Idempotency-Key rules, concurrency,
the payer's payment page and a QR code an independent reader decodes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import func, select
from tests.cases.test_case_world import MERCHANT_A, Finding, add_sale, overcharge_case, save
from tests.support.cli import run_cli_here as run_cli
from tests.support.factories import PASSWORD, World, token_for

from recoup.ledger.service import verify_ledger
from recoup.recovery.emvqr import read_payment_request
from recoup.recovery.models import RecoveryAction

FUNDS = 1000000


def _headers(world: World, key: str | None = None, user: str = "a-merchant_finance") -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token_for(world.database, user)}"}
    return headers | ({"Idempotency-Key": key} if key else {})


def _duplicate_case(world: World, sale_minor: int = 10000) -> str:
    """A settled duplicate sale (everything of it is at stake) and plenty of available funds."""
    with world.database.unit_of_work() as session:
        add_sale(session, world.tenants["A"].id, "700000000001", sale_minor)
        add_sale(session, world.tenants["A"].id, "700000000009", FUNDS)
    return save(world, [Finding("DUPLICATE_CHARGE", MERCHANT_A, "700000000001", sale_minor, 0,
                                related_rrn="700000000000")]).cases[0]


def _action_count(world: World) -> int:
    with world.database.unit_of_work() as session:
        return int(session.execute(select(func.count()).select_from(RecoveryAction)).scalar_one())


def test_idempotency_key_rules_over_the_api(client: TestClient, world: World) -> None:
    number = overcharge_case(world, fund_minor=FUNDS)
    url = f"/api/v1/cases/{number}/actions"
    body = {"kind": "refund", "amount": "1152.00"}
    first = client.post(url, json=body, headers=_headers(world, "k-1"))
    assert first.status_code == 201, first.text
    again = client.post(url, json=body, headers=_headers(world, "k-1"))
    assert (again.status_code, again.headers["Idempotent-Replayed"], again.json()) == (201, "true", first.json())
    other = client.post(url, json=body | {"amount": "1.00"}, headers=_headers(world, "k-1"))
    assert other.status_code == 409
    assert "already used for another request" in other.json()["error"]
    missing = client.post(url, json=body, headers=_headers(world))
    assert (missing.status_code, missing.json()["error"]) == (
        422, "money-moving requests need an idempotency key (Idempotency-Key header, --idempotency-key)")
    as_number = client.post(url, json={"kind": "refund", "amount": 1.5}, headers=_headers(world, "k-2"))
    assert as_number.status_code == 422
    assert client.post("/api/v1/cases/RC-2026-999999/actions", json=body,
                       headers=_headers(world, "k-3")).status_code == 404
    assert _action_count(world) == 1
    listed = client.get(url, headers=_headers(world)).json()
    assert [(a["kind"], a["amount"], a["state"], a["idempotency_key"]) for a in listed] == [
        ("REFUND", "1152.00", "INSTRUCTED", "k-1")]
    balance = client.get(f"/api/v1/merchants/{MERCHANT_A}/balance", headers=_headers(world)).json()
    assert {row["account"]: row["balance"] for row in balance}["PAYABLE_TO_PAYER"] == "1152.00"


def test_fifty_concurrent_refunds_never_exceed_the_sale(client: TestClient, world: World) -> None:
    number = _duplicate_case(world, sale_minor=10000)
    token = token_for(world.database, "a-merchant_finance")

    def refund(index: int) -> int:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"concurrent-{index}"}
        answer = client.post(f"/api/v1/cases/{number}/actions", json={"kind": "refund", "amount": "5.00"},
                             headers=headers)
        assert answer.status_code in (201, 409), answer.text
        return answer.status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        codes = list(pool.map(refund, range(50)))
    assert (codes.count(201), codes.count(409)) == (20, 30)
    with world.database.unit_of_work() as session:
        amounts = list(session.execute(select(RecoveryAction.amount_minor)).scalars())
        verify_ledger(session)
    assert (len(amounts), sum(amounts)) == (20, 10000)


def test_concurrent_duplicates_of_one_request_act_once(client: TestClient, world: World) -> None:
    number = _duplicate_case(world)
    token = token_for(world.database, "a-merchant_finance")

    def refund(_: int) -> dict[str, object]:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "same-key"}
        answer = client.post(f"/api/v1/cases/{number}/actions", json={"kind": "refund", "amount": "5.00"},
                             headers=headers)
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(refund, range(10)))
    assert _action_count(world) == 1
    assert all(answer == answers[0] for answer in answers)


def test_the_payment_page_slip_and_qr_show_the_request_and_nothing_else(client: TestClient, world: World) -> None:
    number = _undercharge_case(world)
    made = client.post(f"/api/v1/cases/{number}/actions", json={"kind": "collect", "amount": "115.20"},
                       headers=_headers(world, "collect-1"))
    assert made.status_code == 201, made.text
    payment = made.json()["payment"]
    asked = read_payment_request(payment["payload"])
    assert (asked.bill_number, asked.amount.minor) == (number, 11520)
    page = client.get(payment["url"])
    assert page.status_code == 200
    assert number in page.text
    assert "115.20" in page.text
    assert "<svg" in page.text
    assert MERCHANT_A not in page.text
    assert client.get(payment["slip"]).status_code == 200
    assert client.get(payment["url"] + "/qr.svg").headers["content-type"].startswith("image/svg+xml")
    assert client.get("/pay/" + "x" * 32).status_code == 404


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg (zbar-tools) is not installed")
def test_collect_writes_a_qr_code_an_independent_reader_decodes(world: World, database_url: str,
                                                               tmp_path: Path) -> None:
    number = _undercharge_case(world)
    png = tmp_path / "out.png"
    made = run_cli(["case", "collect", number, "--amount", "12.34", "--qr", str(png), "--idempotency-key", "qr-1",
                    "--user", "a-merchant_finance"], database_url)
    assert made.returncode == 0, made.stderr
    decoded = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sbinary", str(png)], capture_output=True, check=True)
    payload = decoded.stdout.decode("utf-8").strip()
    asked = read_payment_request(payload)  # checks the CRC-16/CCITT-FALSE
    assert (asked.bill_number, str(asked.amount)) == (number, "12.34 CNY")
    assert payload.startswith("000201010212")


def test_case_list_and_show_json_and_refund_from_the_command_line(world: World, database_url: str) -> None:
    number = overcharge_case(world, fund_minor=FUNDS)
    refund = ["case", "refund", number, "--amount", "1152.00", "--idempotency-key", "cli-1",
              "--user", "a-merchant_finance"]
    first, again = run_cli(refund, database_url), run_cli(refund, database_url)
    assert first.returncode == 0, first.stderr
    assert "INSTRUCTED" in first.stdout
    assert "nothing was done again" in again.stdout
    reused = run_cli([*refund[:4], "100.00", *refund[5:]], database_url)
    assert reused.returncode == 1
    assert reused.stderr.startswith("error: idempotency key 'cli-1' was already used for another request")
    listed = run_cli(["case", "list", "--format", "json", "--user", "a-auditor"], database_url)
    rows = json.loads(listed.stdout)
    assert rows == [rows[0]]
    assert {k: rows[0][k] for k in ("number", "kind", "cause", "state", "rung", "merchant_id", "terminal_id", "rrn",
                                     "order_no", "amount_at_stake", "amount_recovered", "currency")} == {
        "number": number, "kind": "OVERCHARGE", "cause": "EXTRA_DIGIT", "state": "ACTION_PENDING", "rung": "MERCHANT",
        "merchant_id": MERCHANT_A, "terminal_id": "61027889", "rrn": "400000000001", "order_no": "NO-1",
        "amount_at_stake": "1152.00", "amount_recovered": "0.00", "currency": "CNY"}
    shown = json.loads(run_cli(["case", "show", number, "--format", "json", "--user", "a-auditor"],
                               database_url).stdout)
    assert [(a["kind"], a["amount"], a["state"], a["idempotency_key"]) for a in shown["actions"]] == [
        ("REFUND", "1152.00", "INSTRUCTED", "cli-1")]
    assert [e["event"] for e in shown["timeline"]][:2] == ["opened", "action_requested"]
    hidden = run_cli(["case", "show", number, "--user", "b-admin"], database_url)
    assert (hidden.returncode, hidden.stderr.strip()) == (1, f"error: no case {number}")


def test_the_case_page_shows_the_balance_and_a_form_sent_twice_acts_once(client: TestClient, world: World) -> None:
    number = overcharge_case(world, fund_minor=FUNDS)
    login = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert csrf is not None
    client.post("/login", data={"username": "a-merchant_finance", "password": PASSWORD, "csrf_token": csrf.group(1),
                                "next": "/"})
    listing = client.get("/cases?state=OPEN")
    assert listing.status_code == 200
    assert f'href="/cases/{number}"' in listing.text
    page = client.get(f"/cases/{number}")
    assert page.status_code == 200
    assert 'data-testid="balance-panel"' in page.text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert key is not None
    assert csrf is not None
    form = {"csrf_token": csrf.group(1), "idempotency_key": key.group(1), "kind": "REFUND", "amount": "10.00"}
    for _ in range(2):
        assert client.post(f"/cases/{number}/actions", data=form, follow_redirects=False).status_code == 303
    assert _action_count(world) == 1
    assert "已指示" in client.get(f"/cases/{number}").text  # INSTRUCTED, in the default locale


def _undercharge_case(world: World) -> str:
    with world.database.unit_of_work() as session:
        add_sale(session, world.tenants["A"].id, "710000000001", 1280, order_no="NO-8")
    return save(world, [Finding("UNDERCHARGE", MERCHANT_A, "710000000001", 1280, 12800, order_no="NO-8",
                                cause="MISSING_DIGIT")]).cases[0]


def test_an_action_is_answered_as_its_response_model_writes_it(client: TestClient, world: World) -> None:
    """POST .../actions sends the action's view as JSON straight: the bytes FastAPI wrote when it validated the
    returned dict, 201 for the first request and for its replay, which alone carries Idempotent-Replayed."""
    number = overcharge_case(world, fund_minor=FUNDS)
    url = f"/api/v1/cases/{number}/actions"
    body = {"kind": "refund", "amount": "1.00"}
    first = client.post(url, json=body, headers=_headers(world, "bytes-1"))
    again = client.post(url, json=body, headers=_headers(world, "bytes-1"))
    for answer in (first, again):
        assert answer.status_code == 201, answer.text
        assert answer.headers["content-type"] == "application/json"
        assert answer.content == TypeAdapter(dict[str, object]).dump_json(answer.json())
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
