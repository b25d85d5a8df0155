"""Issue 10, defect 1: a sale is never refunded beyond its amount, whichever cases, paths and processes
refund it at once, on SQLite and on PostgreSQL.

Many processes (the service, the REST API, the `recoup case refund` command) refund one sale through
three cases. They are held at the door first (the three cases locked), then let go together, so that
they meet where the per-sale limit adds up what the sale already gives back. Before the sale lock,
PostgreSQL let two cases refund the same sale twice.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from tests.cases.test_case_world import principal
from tests.recovery.sale_world import (
    SALE_MINOR,
    SALE_RRN,
    SaleWorld,
    actions,
    audit_actions,
    counting_minor,
    ledger,
    refused_keys,
    sale_with_three_cases,
)
from tests.support.factories import World, token_for

from recoup.audit.setup import AuditSetup
from recoup.auth.principal import Principal
from recoup.config import Settings
from recoup.db import Database
from recoup.errors import RecoupError
from recoup.recovery.plans import ActionRequest
from recoup.recovery.sale_lock import sale_lock_id
from recoup.recovery.service import perform

USER = "a-merchant_finance"
REFUSALS = ("would exceed the sale", "exceeds what is left to recover")
AMOUNT = "250.00"  # 796.00 holds three of them, whatever the order: exactly three succeed


@dataclass(frozen=True)
class Job:
    path: str  # "service", "api" or "cli"
    attempts: tuple[tuple[str, str], ...]  # (case, idempotency key)


def _attempt_in_service(database: Database, who: Principal, case: str, key: str) -> dict[str, object]:
    try:
        perform(database, who, case, ActionRequest("refund", AMOUNT, rrn=SALE_RRN), key)
        return {"key": key, "status": 201}
    except RecoupError as error:
        return {"key": key, "status": error.status, "message": error.message}


def _attempt_over_api(client: TestClient, token: str, case: str, key: str) -> dict[str, object]:
    answer = client.post(f"/api/v1/cases/{case}/actions", json={"kind": "refund", "amount": AMOUNT, "rrn": SALE_RRN},
                         headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})
    message = "" if answer.status_code == 201 else str(answer.json().get("error", answer.text))
    return {"key": key, "status": answer.status_code, "message": message}


def _child(job: Job, settings: Settings, who: Principal, token: str, ready: Path, results: Path) -> None:
    """One process: its own engine, its attempts one after the other; never raises (results say it all)."""
    done: list[dict[str, object]] = []
    database = Database(settings.resolved_database_url, audit=AuditSetup.from_settings(settings))
    try:
        from recoup.web.app import create_app

        client = TestClient(create_app(settings, database))  # a 500 raises: its traceback is reported
        ready.touch()
        for case, key in job.attempts:
            try:
                if job.path == "service":
                    done.append(_attempt_in_service(database, who, case, key))
                else:
                    done.append(_attempt_over_api(client, token, case, key))
            except Exception:
                done.append({"key": key, "status": 500, "message": traceback.format_exc()})
    finally:
        results.write_text(json.dumps(done))
        database.dispose()


def _cli(settings: Settings, case: str, key: str) -> subprocess.Popen[str]:
    env = {**os.environ, "RECOUP_DATABASE_URL": settings.resolved_database_url, "RECOUP_VAR_DIR": str(settings.var_dir),
           "RECOUP_SECRET_KEY": "test-secret", "RECOUP_CARD_TOKEN_KEY": "test-card-key"}
    command = [sys.executable, "-m", "recoup", "case", "refund", case, "--amount", AMOUNT, "--rrn", SALE_RRN,
               "--idempotency-key", key, "--user", USER]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@contextmanager
def _cases_held(url: str, cases: tuple[str, ...], waiters: int) -> Iterator[None]:
    """On PostgreSQL, hold every case while the body starts the processes and let them go together once
    they all wait for it. (SQLite serialises every writer anyway: there they start as they come.)"""
    if url.startswith("sqlite"):
        yield
        return
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as holder:
        holder.execute(text("SELECT id FROM cases WHERE number = ANY(:numbers) FOR UPDATE"), {"numbers": list(cases)})
        yield
        give_up = time.monotonic() + 120
        # pg_locks is live (pg_stat_activity is a snapshot for the whole of this transaction).
        count = text("SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted")
        while holder.execute(count).scalar_one() < waiters and time.monotonic() < give_up:
            time.sleep(0.1)
        holder.commit()
    engine.dispose()


def _wait_ready(markers: list[Path]) -> None:
    give_up = time.monotonic() + 120
    while not all(marker.exists() for marker in markers) and time.monotonic() < give_up:
        time.sleep(0.05)


def test_many_processes_refunding_one_sale_through_three_cases_never_exceed_it(
        world: World, settings: Settings, tmp_path: Path) -> None:
    sale = sale_with_three_cases(world)
    who, token = principal(world.database, USER), token_for(world.database, USER)
    cases = sale.cases
    jobs = [Job(path, tuple((cases[(n + i) % 3], f"{path}-{n}-{i}") for i in range(2)))
            for n, path in enumerate(["service", "api", "service", "api", "service", "api"])]
    cli_keys = [(cases[n], f"cli-{n}") for n in range(3)]
    settings.keyring()  # the key file exists before the processes start
    world.database.dispose()  # the children must not share the parent's connections
    fork = multiprocessing.get_context("fork")
    markers = [tmp_path / f"ready-{n}" for n in range(len(jobs))]
    outputs = [tmp_path / f"results-{n}.json" for n in range(len(jobs))]
    with _cases_held(settings.resolved_database_url, cases, waiters=len(jobs) + len(cli_keys)):
        children = [fork.Process(target=_child, args=(job, settings, who, token, marker, out))
                    for job, marker, out in zip(jobs, markers, outputs, strict=True)]
        for child in children:
            child.start()
        commands = [_cli(settings, case, key) for case, key in cli_keys]
        _wait_ready(markers)
    for child in children:
        child.join(timeout=300)
    answers = [answer for out in outputs for answer in json.loads(out.read_text())]
    for (_, key), command in zip(cli_keys, commands, strict=True):
        out, err = command.communicate(timeout=300)
        assert "Traceback" not in out + err, err
        assert "unexpected" not in err, err
        answers.append({"key": key, "status": 201 if command.returncode == 0 else 409, "message": err})
    _assert_exactly_three_refunds(sale, answers)


def _assert_exactly_three_refunds(sale: SaleWorld, answers: list[dict[str, object]]) -> None:
    world = sale.world
    refused = sorted(str(a["key"]) for a in answers if a["status"] != 201)
    for answer in answers:
        assert answer["status"] in (201, 409), answer
        assert answer["status"] == 201 or any(text in str(answer["message"]) for text in REFUSALS), answer
    done = actions(world)
    assert (len(answers), len(done), counting_minor(world)) == (15, 3, 3 * 25000)
    assert sorted(a.idempotency_key for a in done) == sorted(str(a["key"]) for a in answers if a["status"] == 201)
    assert {a.status for a in done} == {"INSTRUCTED"}
    audited = audit_actions(world)
    assert (audited["case.action_requested"], audited["case.refund.refused"]) == (3, 12)
    assert refused_keys(world) == refused
    assert ledger(world).sales == 1


def test_two_cases_refunding_the_whole_sale_at_once_over_the_api_refund_it_once(
        client: TestClient, world: World) -> None:
    """The issue's own reproduction: the full sale from two cases, fifty requests at once."""
    sale = sale_with_three_cases(world)
    token = token_for(world.database, USER)

    def refund(index: int) -> int:
        answer = client.post(f"/api/v1/cases/{sale.cases[index % 2]}/actions",
                             json={"kind": "refund", "amount": "796.00", "rrn": SALE_RRN},
                             headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"whole-{index}"})
        assert answer.status_code in (201, 409), answer.text
        return int(answer.status_code)

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(refund, range(50)))
    assert (codes.count(201), codes.count(409)) == (1, 49)
    assert counting_minor(world) == SALE_MINOR
    assert audit_actions(world)["case.refund.refused"] == 49
    assert ledger(world).sales == 1


def test_the_sale_lock_is_one_stable_64_bit_number_per_sale() -> None:
    first = sale_lock_id(1, "898301054111439", SALE_RRN)
    assert first == sale_lock_id(1, " 898301054111439", f"{SALE_RRN} ")
    assert -(2**63) <= first < 2**63
    others = {sale_lock_id(2, "898301054111439", SALE_RRN), sale_lock_id(1, "898301054111440", SALE_RRN),
              sale_lock_id(1, "898301054111439", "710000000002")}
    assert first not in others
    assert first == 1386889451355945427  # the same in every process, on every Python
