"""Webhooks: written to the outbox with the change, signed, retried, and received exactly once by id
even when the receiver is killed and restarted."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from tests.cases.test_case_world import MERCHANT_A, admin
from tests.support.cli import run_cli
from tests.support.factories import World

from recoup.cases.opening import OpenRequest, open_case
from recoup.cases.service import move_case
from recoup.config import Settings
from recoup.db import utcnow
from recoup.errors import RecoupError
from recoup.keys.ring import KeyRing
from recoup.webhooks.delivery import deliver_due, event_body, sign, verify_signature
from recoup.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from recoup.webhooks.secrets import open_secret
from recoup.webhooks.service import add_endpoint

SECRET = "whsec_test_secret_0123456789"
DATA_KEY = KeyRing.from_texts({"data": "test-data-key"})
RECEIVER = r'''
import hashlib, hmac, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

port, secret, log = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3]

class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        parts = dict(p.split("=", 1) for p in self.headers["Recoup-Signature"].split(","))
        expected = hmac.new(secret, parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
        good = hmac.compare_digest(expected, parts["v1"])
        with open(log, "a") as out:
            out.write(self.headers["Recoup-Event-Id"] + (" ok" if good else " bad") + "\n")
        self.send_response(200 if good else 401)
        self.end_headers()

    def log_message(self, *args):
        pass

HTTPServer(("127.0.0.1", port), Receiver).serve_forever()
'''


class Receiver:
    def __init__(self, folder: Path) -> None:
        self.script = folder / "receiver.py"
        self.script.write_text(RECEIVER)
        self.log = folder / "received.log"
        self.log.touch()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, str(self.script), str(self.port), SECRET, str(self.log)])
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the receiver did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def received(self) -> list[str]:
        lines = self.log.read_text().split()
        assert all(status == "ok" for status in lines[1::2]), lines
        return lines[0::2]


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    server = Receiver(tmp_path)
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.kill()


def _open_cases(world: World, count: int) -> list[str]:
    numbers = []
    for _ in range(count):
        with world.database.unit_of_work() as session:
            numbers.append(open_case(session, admin(world), OpenRequest(merchant_id=MERCHANT_A, amount="1.00")).number)
    return numbers


def test_every_event_is_received_exactly_once_across_a_receiver_restart(world: World, receiver: Receiver) -> None:
    with world.database.unit_of_work() as session:
        add_endpoint(session, admin(world), receiver.url, SECRET, keys=DATA_KEY)
    _open_cases(world, 3)
    assert deliver_due(world.database, keys=DATA_KEY).delivered == 3
    receiver.kill()
    numbers = _open_cases(world, 2)
    with world.database.unit_of_work() as session:
        move_case(session, admin(world), numbers[0], "INVESTIGATING", "looking")
    failed = deliver_due(world.database, keys=DATA_KEY)
    assert (failed.delivered, failed.failed) == (0, 3)
    assert deliver_due(world.database, keys=DATA_KEY).failed == 0  # nothing is due before the backoff ends
    receiver.start()
    later = utcnow() + timedelta(minutes=1)
    assert deliver_due(world.database, keys=DATA_KEY, now=later).delivered == 3
    assert deliver_due(world.database, keys=DATA_KEY, now=later + timedelta(hours=1)).delivered == 0
    with world.database.unit_of_work() as session:
        event_ids = set(session.execute(select(WebhookEvent.id)).scalars())
        attempts = sorted(session.execute(select(WebhookDelivery.attempts)).scalars())
    received = receiver.received()
    assert sorted(received) == sorted(event_ids)
    assert len(received) == len(set(received)) == 6
    assert attempts == [1, 1, 1, 2, 2, 2]


def test_the_outbox_is_written_with_the_change_and_not_without_it(world: World, receiver: Receiver) -> None:
    with world.database.unit_of_work() as session:
        add_endpoint(session, admin(world), receiver.url, SECRET, keys=DATA_KEY)
    number = _open_cases(world, 1)[0]
    with pytest.raises(RecoupError), world.database.unit_of_work() as session:
        move_case(session, admin(world), number, "CLOSED", "too early")
    with world.database.unit_of_work() as session:
        events = list(session.execute(select(WebhookEvent).order_by(WebhookEvent.created_at)).scalars())
        deliveries = session.execute(select(func.count()).select_from(WebhookDelivery)).scalar_one()
    assert [event.type for event in events] == ["case.opened"]
    assert deliveries == 1
    payload = events[0].payload
    assert (payload["id"], payload["type"]) == (events[0].id, "case.opened")
    assert json.loads(event_body(payload))["data"]["case"]["number"] == number


def test_signatures_verify_and_tampering_or_replays_do_not() -> None:
    body = b'{"id":"evt_1"}'
    now = utcnow()
    header = sign(SECRET, int(now.timestamp()), body)
    assert verify_signature(SECRET, header, body, now=now)
    assert not verify_signature(SECRET, header, body + b" ", now=now)
    assert not verify_signature("another-secret-value", header, body, now=now)
    assert not verify_signature(SECRET, header, body, now=now + timedelta(minutes=10))


def test_the_signing_secret_is_stored_encrypted_and_signatures_still_verify(world: World, receiver: Receiver,
                                                                          database_url: str) -> None:
    with world.database.unit_of_work() as session:
        _, shown = add_endpoint(session, admin(world), receiver.url, SECRET, keys=DATA_KEY)
    assert shown == SECRET
    engine = create_engine(database_url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT * FROM webhook_endpoints")).mappings().one()
    engine.dispose()
    assert SECRET not in " ".join(str(value) for value in stored.values())
    assert str(stored["secret_encrypted"]).startswith(f"v2.{DATA_KEY.current('data').id}.")
    _open_cases(world, 1)
    assert deliver_due(world.database, keys=DATA_KEY).delivered == 1
    assert len(receiver.received()) == 1  # the receiver checked the HMAC under the plain secret


def test_another_data_key_sends_nothing_and_says_why(world: World, receiver: Receiver) -> None:
    with world.database.unit_of_work() as session:
        add_endpoint(session, admin(world), receiver.url, SECRET, keys=DATA_KEY)
    _open_cases(world, 1)
    assert deliver_due(world.database, keys=KeyRing.from_texts({"data": "another-key"})).failed == 1
    with world.database.unit_of_work() as session:
        delivery = session.execute(select(WebhookDelivery)).scalar_one()
    assert delivery.last_error == ("the signing secret opens with no data key "
                                   "(key file lost, or RECOUP_DATA_KEY changed?)")
    assert receiver.received() == []
    later = utcnow() + timedelta(minutes=1)
    assert deliver_due(world.database, keys=DATA_KEY, now=later).delivered == 1


def test_webhook_add_prints_the_secret_once_and_stores_it_sealed(world: World, database_url: str,
                                                                  settings: Settings) -> None:
    added = run_cli(["webhook", "add", "http://127.0.0.1:9/hooks", "--user", "a-admin"], database_url)
    assert added.returncode == 0, added.stderr
    secret = added.stdout.split("shown once): ", 1)[1].strip()
    assert secret.startswith("whsec_")
    listed = run_cli(["webhook", "list", "--format", "json", "--user", "a-admin"], database_url)
    assert secret not in listed.stdout
    with world.database.unit_of_work() as session:
        endpoint = session.execute(select(WebhookEndpoint)).scalar_one()
    assert open_secret(settings.keyring(), endpoint.id, endpoint.secret_encrypted) == secret  # the install's key file
