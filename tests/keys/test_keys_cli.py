"""`recoup keys list|rotate|reseal`: rotations keep everything readable; a reseal is all or nothing, even on kill -9."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import insert, select, update
from tests.cases.test_case_world import MERCHANT_A, admin
from tests.support.cli import run_in_process
from tests.support.factories import World

from recoup.audit.models import AuditEntry
from recoup.config import Settings
from recoup.keys.ring import KeyRing
from recoup.keys.sealing import Sealer
from recoup.messaging.models import OutboxMessage
from recoup.messaging.outbox import enqueue
from recoup.transactions.models import Order
from recoup.webhooks.models import WebhookEndpoint
from recoup.webhooks.secrets import open_secret
from recoup.webhooks.service import add_endpoint

CREATED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
OLD_DEFAULT_DATA_KEY = "recoup-development-secret-change-me-data"  # what an install without settings used before


def _add_orders(world: World, sealer: Sealer, count: int, start: int = 0) -> None:
    rows = [{"tenant_id": 1, "order_no": f"NO{number}", "merchant_id": MERCHANT_A, "created_at": CREATED,
             "local_date": date(2026, 3, 1), "expected_minor": 100, "currency": "CNY",
             "contact_encrypted": sealer.seal(f"1380013{number:04d}", f"NO{number}")}
            for number in range(start, start + count)]
    with world.database.unit_of_work() as session:
        session.execute(insert(Order), rows)


def _add_webhook(world: World, keys: KeyRing, secret: str) -> int:
    with world.database.unit_of_work() as session:
        endpoint, _ = add_endpoint(session, admin(world), "http://127.0.0.1:9/hooks", secret, keys=keys)
        return endpoint.id


def _stored(world: World) -> tuple[dict[str, str], dict[int, str]]:
    with world.database.unit_of_work() as session:
        contacts = {row.order_no: str(row.contact_encrypted) for row in session.execute(select(Order)).scalars()}
        secrets = {row.id: row.secret_encrypted for row in session.execute(select(WebhookEndpoint)).scalars()}
    return contacts, secrets


def _opened(keys: KeyRing, contacts: dict[str, str], secrets: dict[int, str]) -> list[str]:
    sealer = Sealer(keys)
    return ([str(sealer.open(sealed, order_no)) for order_no, sealed in sorted(contacts.items())]
            + [open_secret(keys, endpoint_id, sealed) for endpoint_id, sealed in sorted(secrets.items())])


def _key_ids(sealed: list[str]) -> set[str]:
    return {value.split(".")[1] for value in sealed}


def _audited(world: World, action: str) -> list[AuditEntry]:
    with world.database.unit_of_work() as session:
        return list(session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars())


def _fresh_keys(settings: Settings) -> KeyRing:
    return Settings(var_dir=settings.var_dir).keyring()  # as the next process reads the key file


def test_list_shows_ids_and_never_a_secret(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    ring = settings.keyring()
    ran = run_in_process(["keys", "list", "--format", "json"], settings.resolved_database_url, monkeypatch, capsys)
    assert ran.code == 0, ran.err
    listed = json.loads(ran.out)
    by_purpose = {(row["purpose"], row["current"]): row for row in listed}
    assert by_purpose[("data", True)]["id"] == ring.current("data").id
    assert by_purpose[("data", True)]["source"] == "file"
    assert by_purpose[("card", True)]["source"] == "env"  # RECOUP_CARD_TOKEN_KEY is set by the test run
    key_file = (settings.var_dir / "keys" / "keyring.json").read_text()
    for item in json.loads(key_file)["keys"].values():
        raw = base64.b64decode(item["secret"])
        assert item["secret"] not in ran.out
        assert raw.hex() not in ran.out


def test_after_a_rotation_old_secrets_open_and_new_ones_use_the_new_key(
        world: World, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    before = settings.keyring()
    _add_orders(world, Sealer(before), 3)
    old_webhook = _add_webhook(world, before, "whsec_before_rotation_0123456789")
    ran = run_in_process(["keys", "rotate", "--purpose", "data"], settings.resolved_database_url, monkeypatch, capsys)
    assert ran.code == 0, ran.err
    after = _fresh_keys(settings)
    new_id = after.current("data").id
    assert new_id != before.current("data").id
    assert f"data key rotated: {new_id} is current" in ran.out
    assert after.current("card") == before.current("card")  # only the data key turned
    _add_orders(world, Sealer(after), 2, start=3)
    new_webhook = _add_webhook(world, after, "whsec_after_rotation_01234567890")
    contacts, secrets = _stored(world)
    assert _key_ids([contacts["NO0"], secrets[old_webhook]]) == {before.current("data").id}
    assert _key_ids([contacts["NO4"], secrets[new_webhook]]) == {new_id}
    assert _opened(after, contacts, secrets) == [f"1380013{n:04d}" for n in range(5)] + [
        "whsec_before_rotation_0123456789", "whsec_after_rotation_01234567890"]
    assert [entry.object_id for entry in _audited(world, "keys.rotate")] == [f"data/{new_id}"]


def test_rotate_with_reseal_moves_every_secret_to_the_new_key_and_audits_it(
        world: World, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    before = settings.keyring()
    _add_orders(world, Sealer(before), 4)
    _add_webhook(world, before, "whsec_sealed_before_0123456789")
    with world.database.unit_of_work() as session:  # a message waiting in the outbox: its address is sealed
        queued = enqueue(session, tenant_id=1, channel="email", to="payer@example.com", subject="s", body="b",
                         now=CREATED, keys=before)
        uid = queued.uid
    ran = run_in_process(["keys", "rotate", "--purpose", "data", "--reseal"], settings.resolved_database_url,
                         monkeypatch, capsys)
    assert ran.code == 0, ran.err
    after = _fresh_keys(settings)
    assert "4 customer contacts, 1 webhook signing secrets, 1 message addresses" in ran.out
    contacts, secrets = _stored(world)
    with world.database.unit_of_work() as session:
        address = session.execute(select(OutboxMessage.to_sealed).where(OutboxMessage.uid == uid)).scalar_one()
    assert _key_ids([*contacts.values(), *secrets.values(), address]) == {after.current("data").id}
    assert Sealer(after).open(address, f"outbox:{uid}") == "payer@example.com"
    assert _opened(after, contacts, secrets)[-1] == "whsec_sealed_before_0123456789"
    assert after.get("data", before.current("data").id)  # the old key stays for reading
    resealed = _audited(world, "keys.reseal")
    assert [entry.after for entry in resealed] == [
        {"key_id": after.current("data").id, "contacts": 4, "webhook_secrets": 1, "message_addresses": 1}]


def test_a_key_given_in_the_environment_is_not_rotated_behind_the_operators_back(
        settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    key_file = settings.var_dir / "keys" / "keyring.json"
    settings.keyring()
    before = key_file.read_text()
    ran = run_in_process(["keys", "rotate", "--purpose", "card"], settings.resolved_database_url, monkeypatch, capsys)
    assert ran.code == 1
    assert "the card key comes from RECOUP_CARD_TOKEN_KEY" in ran.err
    assert "Traceback" not in ran.err
    assert key_file.read_text() == before


def test_a_value_no_key_opens_stops_the_reseal_and_changes_nothing(
        world: World, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _add_orders(world, Sealer(settings.keyring()), 3)
    _add_orders(world, Sealer(KeyRing.from_texts({"data": "a key this install never had"})), 1, start=3)
    rotated = run_in_process(["keys", "rotate", "--purpose", "data"], settings.resolved_database_url, monkeypatch,
                             capsys)
    assert rotated.code == 0, rotated.err
    contacts_before = _stored(world)[0]
    ran = run_in_process(["keys", "reseal"], settings.resolved_database_url, monkeypatch, capsys)
    assert ran.code == 1
    assert "the contact of order 'NO3'" in ran.err
    assert "nothing was re-sealed" in ran.err
    assert _stored(world)[0] == contacts_before
    assert _audited(world, "keys.reseal") == []


def _sealed_v1(text_key_value: str, contact: str, context: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(hashlib.sha256(text_key_value.encode()).digest()).encrypt(nonce, contact.encode(), context.encode())
    return "v1." + base64.urlsafe_b64encode(nonce + sealed).decode()


def test_reseal_brings_values_sealed_under_a_former_environment_key_onto_the_ring(
        world: World, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _add_orders(world, Sealer(settings.keyring()), 1)
    with world.database.unit_of_work() as session:  # as an install without settings sealed it before key ids
        session.execute(update(Order).values(contact_encrypted=_sealed_v1(OLD_DEFAULT_DATA_KEY, "13800138000", "NO0")))
    monkeypatch.setenv("RECOUP_OLD_DATA_KEY", OLD_DEFAULT_DATA_KEY)
    ran = run_in_process(["keys", "reseal"], settings.resolved_database_url, monkeypatch, capsys)
    assert ran.code == 0, ran.err
    contacts, _ = _stored(world)
    assert contacts["NO0"].startswith(f"v2.{settings.keyring().current('data').id}.")
    assert Sealer(_fresh_keys(settings)).open(contacts["NO0"], "NO0") == "13800138000"


def _wait_for_new_data_key(key_file: Path, old_id: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if json.loads(key_file.read_text())["current"]["data"] != old_id:
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.005)


@pytest.mark.parametrize("delay", [0.0, 0.4])  # seen here: killed before the reseal commits, and after
def test_kill_9_during_rotate_and_reseal_leaves_the_old_or_the_new_state_and_everything_opens(
        world: World, settings: Settings, delay: float) -> None:
    before = settings.keyring()
    _add_orders(world, Sealer(before), 4000)
    _add_webhook(world, before, "whsec_survives_a_crash_012345678")
    key_file = settings.var_dir / "keys" / "keyring.json"
    env = {**os.environ, "RECOUP_DATABASE_URL": settings.resolved_database_url}
    process = subprocess.Popen([sys.executable, "-m", "recoup", "keys", "rotate", "--purpose", "data", "--reseal"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_new_data_key(key_file, before.current("data").id, process)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    after = _fresh_keys(settings)
    contacts, secrets = _stored(world)
    ids = _key_ids([*contacts.values(), *secrets.values()])
    assert ids in ({before.current("data").id}, {after.current("data").id})  # all old or all new, never a mix
    expected = [f"1380013{n:04d}" for n in sorted(range(4000), key=lambda n: f"NO{n}")]
    assert _opened(after, contacts, secrets) == [*expected, "whsec_survives_a_crash_012345678"]
    assert len(_audited(world, "keys.reseal")) == (ids == {after.current("data").id})
    finished = subprocess.run([sys.executable, "-m", "recoup", "keys", "reseal"], env=env, capture_output=True,
                              text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    contacts, secrets = _stored(world)
    assert _key_ids([*contacts.values(), *secrets.values()]) == {_fresh_keys(settings).current("data").id}
