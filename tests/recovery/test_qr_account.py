"""The merchant-account template of collection QR codes: a default in the settings, a per-tenant
override an admin sets (CLI and API), and the payload carrying whichever applies."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.cases.test_case_world import MERCHANT_A, MERCHANT_B, TERMINAL_B, Finding, add_sale, admin, save
from tests.support.cli import run_cli_here as run_cli
from tests.support.factories import World, token_for

from recoup.audit.models import AuditEntry
from recoup.config import Settings
from recoup.errors import Forbidden, InvalidInput
from recoup.recovery.collect import for_action
from recoup.recovery.emvqr import parse_payload, read_payment_request
from recoup.recovery.plans import ActionRequest
from recoup.recovery.qr_account import QrAccountTemplate, set_template
from recoup.recovery.service import perform

UNIONPAY = QrAccountTemplate("15")
UNIONPAY_AID = "A000000333010101"


def _undercharge(world: World, tenant: str = "A", rrn: str = "720000000001") -> str:
    merchant, terminal = (MERCHANT_A, "61027889") if tenant == "A" else (MERCHANT_B, TERMINAL_B)
    with world.database.unit_of_work() as session:
        add_sale(session, world.tenants[tenant].id, rrn, 1280, order_no="NO-Q", merchant_id=merchant,
                 terminal_id=terminal)
    return save(world, [Finding("UNDERCHARGE", merchant, rrn, 1280, 12800, order_no="NO-Q", terminal_id=terminal)],
                tenant=tenant).cases[0]


def _payload(world: World, number: str, key: str, tenant: str = "A",
             default: QrAccountTemplate = UNIONPAY) -> dict[str, object]:
    made = perform(world.database, admin(world, tenant), number, ActionRequest("collect", "1.00"), key,
                   qr_default=default).action
    with world.database.unit_of_work() as session:
        request = for_action(session, int(str(made["id"])))
        assert request is not None
        read_payment_request(request.payload)  # a valid CRC
        return dict(parse_payload(request.payload))


def test_the_default_is_unionpays_tag_15_from_the_settings(world: World, settings: Settings) -> None:
    assert (settings.qr_account_tag, settings.qr_account_gui) == ("15", "")
    fields = _payload(world, _undercharge(world), "qr-d", default=QrAccountTemplate.from_settings(settings))
    assert fields["15"] == MERCHANT_A
    assert not any(f"{tag:02d}" in fields for tag in range(26, 52))


def test_a_template_default_from_the_settings_carries_the_gui(world: World) -> None:
    configured = Settings(qr_account_tag="26", qr_account_gui=UNIONPAY_AID)
    fields = _payload(world, _undercharge(world), "qr-s", default=QrAccountTemplate.from_settings(configured))
    assert fields["26"] == {"00": UNIONPAY_AID, "01": MERCHANT_A}
    assert "15" not in fields


def test_a_tenant_override_applies_to_that_tenant_only_and_is_audited(world: World) -> None:
    with world.database.unit_of_work() as session:
        view = set_template(session, admin(world), QrAccountTemplate("27", UNIONPAY_AID), UNIONPAY)
    assert view == {"tag": "27", "gui": UNIONPAY_AID, "network": "template", "source": "tenant"}
    assert _payload(world, _undercharge(world), "qr-t")["27"] == {"00": UNIONPAY_AID, "01": MERCHANT_A}
    assert _payload(world, _undercharge(world, "B", "730000000001"), "qr-b", tenant="B")["15"] == MERCHANT_B
    with world.database.unit_of_work() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "qr_account.set")).scalar_one()
    assert (entry.actor, entry.before, entry.after) == (
        "a-admin", {"tag": "15", "gui": "", "network": "UnionPay", "source": "default"}, view)


@pytest.mark.parametrize(("tag", "gui", "message"), [
    ("52", "", "a tag from 02 to 51"), ("15", UNIONPAY_AID, "holds the account alone"),
    ("26", "", "needs the payment network's GUI"), ("x", "", "a tag from 02 to 51")])
def test_a_bad_template_is_refused(world: World, tag: str, gui: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message), world.database.unit_of_work() as session:
        set_template(session, admin(world), QrAccountTemplate(tag, gui), UNIONPAY)


def test_only_an_admin_sets_it(world: World) -> None:
    from tests.cases.test_case_world import principal

    finance = principal(world.database, "a-merchant_finance")
    with pytest.raises(Forbidden), world.database.unit_of_work() as session:
        set_template(session, finance, QrAccountTemplate("16"), UNIONPAY)


def test_set_show_and_reset_from_the_command_line(world: World, database_url: str) -> None:
    changed = run_cli(["case", "qr-account", "--tag", "26", "--gui", UNIONPAY_AID, "--user", "a-admin"], database_url)
    assert changed.returncode == 0, changed.stderr
    assert json.loads(changed.stdout)["source"] == "tenant"
    shown = json.loads(run_cli(["case", "qr-account", "--user", "a-auditor"], database_url).stdout)
    assert (shown["tag"], shown["gui"]) == ("26", UNIONPAY_AID)
    refused = run_cli(["case", "qr-account", "--tag", "99", "--user", "a-admin"], database_url)
    assert (refused.returncode, refused.stderr.strip()) == (
        1, "error: merchant account information uses a tag from 02 to 51, not '99'")
    reset = run_cli(["case", "qr-account", "--reset", "--user", "a-admin"], database_url)
    assert json.loads(reset.stdout) == {"tag": "15", "gui": "", "network": "UnionPay", "source": "default"}
    with world.database.unit_of_work() as session:
        actions = list(session.execute(select(AuditEntry.action).where(AuditEntry.action.startswith("qr_account"))
                                       .order_by(AuditEntry.seq)).scalars())
    assert actions == ["qr_account.set", "qr_account.set.refused", "qr_account.reset"]


def test_the_api_reads_and_changes_it(client: TestClient, world: World) -> None:
    headers = {"Authorization": f"Bearer {token_for(world.database, 'a-admin')}"}
    assert client.get("/api/v1/qr-account", headers=headers).json()["source"] == "default"
    changed = client.put("/api/v1/qr-account", json={"tag": "16"}, headers=headers)
    assert changed.json() == {"tag": "16", "gui": "", "network": "UnionPay", "source": "tenant"}
    assert client.put("/api/v1/qr-account", json={"tag": "30"}, headers=headers).status_code == 422
    finance = {"Authorization": f"Bearer {token_for(world.database, 'a-merchant_finance')}"}
    assert client.put("/api/v1/qr-account", json={"tag": "15"}, headers=finance).status_code == 403
    assert client.delete("/api/v1/qr-account", headers=headers).json()["tag"] == "15"
