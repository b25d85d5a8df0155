"""`kill -9` of the worker while it delivers a webhook: after the restart every event arrives (the
receiver deduplicates by event id), no delivery is left claimed forever, nothing else is touched."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from tests.cases.test_case_world import MERCHANT_A, admin
from tests.support.factories import World

from recoup.audit.service import verify
from recoup.cases.opening import OpenRequest, open_case
from recoup.config import Settings
from recoup.db import utcnow
from recoup.ledger.service import verify_ledger
from recoup.webhooks.delivery import LEASE, deliver_due
from recoup.webhooks.models import WebhookDelivery, WebhookEvent
from recoup.webhooks.service import add_endpoint

SECRET = "whsec_crash_test_0123456789"
# Logs each event id it is sent; with "hang", holds the first request open (the worker waits on it).
RECEIVER = r'''
import sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer
port, log, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["content-length"]))
        with open(log, "a") as out:
            out.write(self.headers["Recoup-Event-Id"] + "\n")
        if mode == "hang":
            time.sleep(120)
        self.send_response(200)
        self.end_headers()
    def log_message(self, *args):
        pass
HTTPServer(("127.0.0.1", port), Receiver).serve_forever()
'''


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _receiver(folder: Path, port: int, mode: str) -> subprocess.Popen[bytes]:
    script = folder / "receiver.py"
    script.write_text(RECEIVER)
    process = subprocess.Popen([sys.executable, str(script), str(port), str(folder / "received.log"), mode])
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return process
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the receiver did not start")


def _wait_for_first_request(log: Path, worker: subprocess.Popen[bytes]) -> None:
    give_up = time.monotonic() + 60
    while not (log.exists() and log.read_text().strip()):
        assert worker.poll() is None, "the worker ended before it was killed"
        assert time.monotonic() < give_up, "the worker never sent the webhook"
        time.sleep(0.05)


def test_a_worker_killed_while_delivering_leaves_every_event_to_be_delivered(
        world: World, settings: Settings, database_url: str, tmp_path: Path) -> None:
    port = _free_port()
    with world.database.unit_of_work() as session:
        add_endpoint(session, admin(world), f"http://127.0.0.1:{port}/hooks", SECRET, keys=settings.keyring())
    for _ in range(3):
        with world.database.unit_of_work() as session:
            open_case(session, admin(world), OpenRequest(merchant_id=MERCHANT_A, amount="1.00"))
    hanging = _receiver(tmp_path, port, "hang")
    worker = subprocess.Popen([sys.executable, "-m", "recoup", "worker", "--once"],
                              env={**os.environ, "RECOUP_DATABASE_URL": database_url})
    try:
        _wait_for_first_request(tmp_path / "received.log", worker)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        hanging.kill()
        hanging.wait()
    with world.database.unit_of_work() as session:
        leased = session.execute(select(WebhookDelivery).where(WebhookDelivery.leased_until.is_not(None))).scalars()
        assert [delivery.status for delivery in leased] == ["PENDING"] * 3  # claimed, not lost, not half-recorded
    answering = _receiver(tmp_path, port, "answer")
    try:
        assert deliver_due(world.database, keys=settings.keyring()).delivered == 0  # the lease still holds
        after_lease = utcnow() + LEASE + timedelta(seconds=1)
        assert deliver_due(world.database, keys=settings.keyring(), now=after_lease).delivered == 3
        assert deliver_due(world.database, keys=settings.keyring(), now=after_lease + timedelta(hours=1)).delivered == 0
    finally:
        answering.kill()
        answering.wait()
    with world.database.unit_of_work() as session:
        events = set(session.execute(select(WebhookEvent.id)).scalars())
        statuses = list(session.execute(select(WebhookDelivery.status)).scalars())
        assert statuses == ["DELIVERED"] * 3
        assert verify(session)[1] is None
        verify_ledger(session)
    received = (tmp_path / "received.log").read_text().split()
    assert set(received) == events  # every event arrived; the one cut off is sent again under the same id
