"""The upload page's background imports: progress while they run, the outcome after, only for their owner."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.support.factories import World
from tests.support.journals import journal_bytes
from tests.support.web_login import log_in

from recoup.auth.models import User
from recoup.auth.roles import Role
from recoup.transactions.import_jobs import ImportJob
from recoup.transactions.models import JournalLine
from recoup.transactions.web_imports import import_board


def job_url(fragment: str) -> str:
    return fragment.split('hx-get="')[1].split('"')[0]


def follow(client: TestClient, fragment: str) -> str:
    """Asks for the job's progress, as the page does, until it has ended."""
    deadline = time.monotonic() + 120
    while 'data-state="running"' in fragment:
        url = job_url(fragment)
        assert time.monotonic() < deadline, "the import never ended"
        time.sleep(0.1)
        answer = client.get(url)
        assert answer.status_code == 200
        fragment = answer.text
    return fragment


class FakeRequest:
    """Just what `import_board` reads of a request: the app."""

    def __init__(self, app: object) -> None:
        self.app = app


def world_user_id(world: World, username: str) -> int:
    with world.database.unit_of_work() as session:
        return int(session.execute(select(User.id).where(User.username == username)).scalar_one())


def stored_lines(world: World) -> int:
    with world.database.unit_of_work() as session:
        return int(session.execute(select(func.count()).select_from(JournalLine)).scalar_one())


def test_an_upload_runs_in_the_background_and_shows_progress_then_its_outcome(world: World,
                                                                               client: TestClient) -> None:
    csrf = log_in(client, World.username("A", Role.ADMIN), page="/imports")
    started = client.post("/imports/jobs", data={"kind": "journal", "csrf_token": csrf},
                          files={"file": ("big.csv", journal_bytes(3000), "text/csv")})
    assert started.status_code == 200
    ended = follow(client, started.text)
    assert 'data-state="done"' in ended
    assert 'data-testid="import-imported">3000<' in ended
    assert stored_lines(world) == 3000


def test_a_running_import_shows_how_far_it_is_to_its_owner_only(world: World, client: TestClient) -> None:
    log_in(client, World.username("A", Role.ADMIN), page="/imports")
    page = client.get("/imports")
    board = import_board(FakeRequest(client.app))
    owner = world_user_id(world, World.username("A", Role.ADMIN))
    board.track(ImportJob("job-1", owner, "journal", "big.csv", phase="storing", done=250_000, total=1_000_000))
    shown = client.get("/imports/jobs/job-1")
    assert shown.status_code == 200
    assert 'data-state="running"' in shown.text
    assert 'value="25"' in shown.text
    assert "250,000 / 1,000,000" in shown.text
    assert 'hx-get="/imports/jobs/job-1"' in shown.text  # the page asks again
    assert page.status_code == 200
    other = TestClient(client.app)
    log_in(other, World.username("A", Role.MERCHANT_FINANCE), page="/imports")
    assert other.get("/imports/jobs/job-1").status_code == 404  # a job is its owner's only


def test_a_rejected_upload_lists_every_bad_line_and_imports_nothing(world: World, client: TestClient) -> None:
    csrf = log_in(client, World.username("A", Role.ADMIN), page="/imports")
    started = client.post("/imports/jobs", data={"kind": "journal", "csrf_token": csrf},
                          files={"file": ("bad.csv", journal_bytes(5, bad_amount_at=2), "text/csv")})
    ended = follow(client, started.text)
    assert 'data-state="rejected"' in ended
    assert "negative amount" in ended
    assert "<td>3</td><td>amount</td>" in ended
    assert stored_lines(world) == 0


def test_an_upload_the_user_may_not_make_fails_clearly(world: World, client: TestClient) -> None:
    csrf = log_in(client, World.username("A", Role.CASHIER), page="/imports")
    started = client.post("/imports/jobs", data={"kind": "journal", "csrf_token": csrf},
                          files={"file": ("j.csv", journal_bytes(2), "text/csv")})
    assert started.status_code == 403  # refused at once: no job that looks like an import under way
    assert "无权导入" in started.text  # "may not import", in the page's language
    assert "Traceback" not in started.text
    assert stored_lines(world) == 0
    forged = client.post("/imports/jobs", data={"kind": "journal", "csrf_token": "forged"},
                         files={"file": ("j.csv", journal_bytes(2), "text/csv")})
    assert forged.status_code == 403
