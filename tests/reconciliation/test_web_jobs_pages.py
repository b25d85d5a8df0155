"""Reconcile from the web after an import (issue 12), through the pages: the button on the import result,
the job's page followed to its end, what it found, its links, the imports list, and the refusals."""

from __future__ import annotations

import re
import time
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from tests.reconciliation.following_days import generate, write_days
from tests.support.factories import PASSWORD, World

from recoup.auth.roles import Role
from recoup.reconciliation.jobs import ReconcileJob
from recoup.reconciliation.jobs_scope import ImportDays
from recoup.reconciliation.web_jobs import reconcile_board

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _log_in(client: TestClient, username: str) -> str:
    """Logs in; returns the CSRF token of the imports page."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)})
    page = client.get("/imports")
    assert page.status_code == 200
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def _upload(client: TestClient, csrf: str, kind: str, path: Path) -> str:
    answer = client.post("/imports", data={"kind": kind, "csrf_token": csrf},
                         files={"file": (path.name, path.read_bytes(), "text/csv")})
    assert answer.status_code == 200, answer.text
    return str(answer.text)


def _follow(client: TestClient, url: str) -> str:
    """Asks for the job's progress, as static/reconcile_jobs.js does, until it has ended."""
    deadline = time.monotonic() + 60
    page = client.get(url).text
    while 'data-state="running"' in page:
        assert time.monotonic() < deadline, "the reconciliation never ended"
        progress = re.search(r'data-progress-url="([^"]+)"', page)
        assert progress is not None
        assert 'data-testid="reconcile-progress-bar"' in page
        time.sleep(0.1)
        page = client.get(progress.group(1)).text
    return str(page)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_import_result_reconciles_its_days_and_shows_what_was_found(client: TestClient, world: World,
                                                                         tmp_path: Path) -> None:
    csrf = _log_in(client, World.username("A", Role.ADMIN))
    days = write_days(generate(), tmp_path)
    for kind, path in days[0].paths:
        _upload(client, csrf, kind, path)
    result = _upload(client, csrf, "settlement", next(p for k, p in days[1].paths if k == "settlement"))
    assert "对账导入的日期" in result  # the button, in the page's language
    batch_id = re.search(r'name="import_id" value="(\d+)"', result).group(1)  # type: ignore[union-attr]

    started = client.post("/reconciliation/jobs", data={"import_id": batch_id, "csrf_token": csrf},
                          follow_redirects=False)
    assert started.status_code == 303
    done = _follow(client, started.headers["location"])
    words = _text(done)
    assert 'data-state="done"' in done
    assert "已对账 2026-10-15" in words
    run_id = re.search(r"对账批次 (\d+)：共 (\d+) 条差错", words).group(1)  # type: ignore[union-attr]
    assert "未结算" in words
    assert "重复扣款" in words
    assert "UNSETTLED" not in done
    assert "DUPLICATE_CHARGE" not in done
    opened = re.search(r'data-outcome="opened"><span class="num">(\d+)<', done).group(1)  # type: ignore[union-attr]
    assert int(opened) >= 2
    assert f'href="/reconciliation/runs/{run_id}"' in done
    findings_link = re.search(r'href="(/findings\?[^"]+)"', done).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert "date_from=2026-10-15" in findings_link
    assert "date_to=2026-10-15" in findings_link
    assert client.get(f"/reconciliation/runs/{run_id}").status_code == 200
    listed = client.get(findings_link)
    assert listed.status_code == 200
    assert "未结算" in listed.text

    imports = _text(client.get("/imports").text)
    # the list says the imports' days were reconciled: the settlement's, and the orders' and journal's of that day
    assert imports.count(f"已对账：批次 {run_id}") == 3
    assert re.search(r"共 [1-9]\d* 条", imports)  # and how many findings its days have

    client.post("/lang", data={"locale": "en", "next": "/", "csrf_token": csrf})
    english = _text(client.get(started.headers["location"]).text)
    assert "Reconciled 2026-10-15" in english
    assert "Cases opened" in english
    assert "Not settled" in english
    assert "已对账" not in english


def test_refusals_are_said_in_the_page(client: TestClient, world: World, tmp_path: Path) -> None:
    csrf = _log_in(client, World.username("A", Role.ADMIN))
    registry = tmp_path / "terminals.csv"
    registry.write_text("terminal_id,merchant_id,model,location\n61027889,898301054111439,Landi E350,一楼\n",
                        encoding="utf-8")
    result = _upload(client, csrf, "terminals", registry)
    assert "对账导入的日期" not in result  # a registry brings no days
    batch_id = re.search(r"#(\d+)", _text(result)).group(1)  # type: ignore[union-attr]
    nothing = client.post("/reconciliation/jobs", data={"import_id": batch_id, "csrf_token": csrf})
    assert nothing.status_code == 422
    assert "无可对账的数据" in nothing.text
    assert 'href="/cases"' in nothing.text

    journal = next(p for k, p in write_days(generate(), tmp_path)[0].paths if k == "journal")
    result = _upload(client, csrf, "journal", journal)
    batch_id = re.search(r'name="import_id" value="(\d+)"', result).group(1)  # type: ignore[union-attr]
    board = reconcile_board(SimpleNamespace(app=client.app))  # type: ignore[arg-type]  # it reads only .app
    day = date(2026, 10, 15)
    board.track(ReconcileJob("colleague", 999_999, world.tenants["A"].id,
                             ImportDays(int(batch_id), ("898301054111439",), day, day)))  # a colleague's run
    busy = client.post("/reconciliation/jobs", data={"import_id": batch_id, "csrf_token": csrf})
    assert busy.status_code == 409
    assert "本机构已有一次对账正在进行" in busy.text
    assert client.get("/reconciliation/jobs/colleague").status_code == 404  # a job is its starter's only


def test_the_auditor_is_offered_no_button_and_may_not_start_one(client: TestClient, world: World) -> None:
    csrf = _log_in(client, World.username("A", Role.AUDITOR))
    assert "reconcile-import-" not in client.get("/imports").text
    refused = client.post("/reconciliation/jobs", data={"import_id": "1", "csrf_token": csrf})
    assert refused.status_code == 403
