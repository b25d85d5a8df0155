"""Uploads hold card numbers: they stay in the data folder, private, and go when the import ends or at start-up
after a crash (issue 10, defect 9). Never in the system temp folder, not even python-multipart's spooling."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.support.factories import PASSWORD, World, token_for
from tests.support.journals import journal_bytes

from recoup.auth.roles import Role
from recoup.config import Settings
from recoup.db import Database
from recoup.transactions import api as transactions_api
from recoup.transactions import import_jobs
from recoup.web.app import create_app
from recoup.web.uploads import PrivateFile, sweep_uploads, uploads_folder

PAN = b"6228480012345678"
BOUNDARY = "recoupboundary"
ADMIN = World.username("A", Role.ADMIN)


def journal_with_cards(count: int) -> bytes:
    """A journal whose card column holds full card numbers, as a terminal's export may."""
    return journal_bytes(count).replace(b"622848******1234", PAN)


def files_holding(folder: Path, needle: bytes) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file() and needle in path.read_bytes()]


def open_files_in(folder: Path) -> list[str]:
    """Files this process has open under `folder`, named or not (an O_TMPFILE spool has no name to find)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(folder)):
            found.append(target)
    return found


def uploads(settings: Settings) -> list[Path]:
    return sorted((settings.var_dir / "uploads").glob("*"))


@pytest.fixture
def system_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private system temp folder for this test (this process and the servers it starts)."""
    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


class ImportSpy:
    """Wraps an `import_file`: notes where the file it is given lives and how, while the import runs."""

    def __init__(self, real: Callable[..., object]) -> None:
        self.real = real
        self.seen: list[tuple[Path, int, int]] = []

    def __call__(self, session: object, principal: object, kind: str, path: Path, *args: object, **kw: object
                 ) -> object:
        self.seen.append((path, stat.S_IMODE(path.stat().st_mode), stat.S_IMODE(path.parent.stat().st_mode)))
        return self.real(session, principal, kind, path, *args, **kw)


@pytest.fixture
def api_spy(monkeypatch: pytest.MonkeyPatch) -> ImportSpy:
    spy = ImportSpy(transactions_api.import_file)  # type: ignore[attr-defined]
    monkeypatch.setattr(transactions_api, "import_file", spy)
    return spy


def assert_private_and_gone(spy: ImportSpy, settings: Settings) -> None:
    assert spy.seen, "the import never ran"
    for path, file_mode, folder_mode in spy.seen:
        assert path.parent == (settings.var_dir / "uploads").resolve() or path.parent == settings.var_dir / "uploads"
        assert (file_mode, folder_mode) == (0o600, 0o700)
        assert not path.exists()
    assert uploads(settings) == []


def multipart_head(kind: str = "journal") -> bytes:
    return (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="kind"\r\n\r\n{kind}\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="journal.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n").encode()


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def start_upload(address: tuple[str, int], token: str, first: bytes) -> socket.socket:
    """An upload to POST /api/v1/imports, its body chunked and left unfinished after `first`."""
    connection = socket.create_connection(address, timeout=60)
    connection.sendall(b"POST /api/v1/imports HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       + f"Authorization: Bearer {token}\r\n".encode()
                       + f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n".encode()
                       + b"Transfer-Encoding: chunked\r\n\r\n" + chunk(multipart_head()))
    for start in range(0, len(first), 1 << 16):
        connection.sendall(chunk(first[start:start + (1 << 16)]))
    return connection


def finish_upload(connection: socket.socket, rest: bytes) -> bytes:
    connection.sendall(chunk(rest + f"\r\n--{BOUNDARY}--\r\n".encode()) + b"0\r\n\r\n")
    answer = b""
    while data := connection.recv(65536):
        answer += data
    connection.close()
    return answer


def wait_for_upload(settings: Settings, size: int) -> Path:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = [path for path in uploads(settings) if path.stat().st_size >= size]
        if found:
            return found[0]
        time.sleep(0.02)
    raise AssertionError(f"no upload of {size} bytes appeared in {settings.var_dir / 'uploads'}")


def address_of(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def test_an_upload_streams_into_the_private_folder_never_the_system_temp(
        world: World, settings: Settings, live_url: str, system_temp: Path, api_spy: ImportSpy) -> None:
    journal = journal_with_cards(40_000)  # ~3 MiB: python-multipart's own spooling would go to disk at 1 MiB
    half = len(journal) // 2
    connection = start_upload(address_of(live_url), token_for(world.database, ADMIN), journal[:half])
    during = wait_for_upload(settings, half)  # the body is still coming: the file is being written
    assert stat.S_IMODE(during.stat().st_mode) == 0o600
    assert stat.S_IMODE(during.parent.stat().st_mode) == 0o700
    assert PAN in during.read_bytes()
    assert files_holding(system_temp, PAN) == []
    assert open_files_in(system_temp) == []  # nor a nameless spool file (the server runs in this process)
    answer = finish_upload(connection, journal[half:])
    assert answer.startswith(b"HTTP/1.1 201"), answer[:300]
    assert_private_and_gone(api_spy, settings)
    assert files_holding(system_temp, PAN) == []
    assert files_holding(settings.var_dir, PAN) == []


def log_in(client: TestClient, username: str) -> str:
    login = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": login})
    return str(client.get("/imports").text.split('name="csrf_token" value="')[1].split('"')[0])


def test_an_upload_is_removed_whatever_the_import_answers(world: World, client: TestClient, settings: Settings,
                                                          api_spy: ImportSpy) -> None:
    headers = {"Authorization": f"Bearer {token_for(world.database, ADMIN)}"}
    cashier = {"Authorization": f"Bearer {token_for(world.database, World.username('A', Role.CASHIER))}"}
    cases = [
        (headers, {"kind": "journal"}, journal_with_cards(3), 201),                  # imported
        (headers, {"kind": "journal"}, journal_with_cards(3), 200),                  # already imported
        (headers, {"kind": "journal"}, journal_bytes(4, bad_amount_at=2), 422),      # refused by the importer
        (headers, {"kind": "no-such-kind"}, journal_with_cards(2), 422),             # refused kind
        (headers, {"kind": "journal", "year": "1800"}, journal_with_cards(2), 422),  # refused form value
        (cashier, {"kind": "journal"}, journal_with_cards(2), 403),                  # not allowed
        ({}, {"kind": "journal"}, journal_with_cards(2), 401),                       # no token
    ]
    for sent_headers, form, content, status in cases:
        answer = client.post("/api/v1/imports", data=form, headers=sent_headers,
                             files={"file": ("journal.csv", content, "text/csv")})
        assert answer.status_code == status, (form, answer.text)
        assert uploads(settings) == [], (form, status)
    assert_private_and_gone(api_spy, settings)
    assert files_holding(settings.var_dir, PAN) == []


def test_an_upload_over_the_limit_leaves_nothing(world: World, settings: Settings, database: Database) -> None:
    small = settings.model_copy(update={"max_upload_bytes": 1 << 20})
    with TestClient(create_app(small, database)) as client:
        answer = client.post("/api/v1/imports", data={"kind": "journal"},
                             headers={"Authorization": f"Bearer {token_for(world.database, ADMIN)}"},
                             files={"file": ("journal.csv", journal_with_cards(30_000), "text/csv")})
    assert answer.status_code == 413
    assert uploads(settings) == []


def test_the_upload_page_and_its_background_imports_remove_their_uploads(
        world: World, client: TestClient, settings: Settings, api_spy: ImportSpy,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.transactions.test_upload_jobs import follow

    job_spy = ImportSpy(import_jobs.import_file)  # type: ignore[attr-defined]
    monkeypatch.setattr(import_jobs, "import_file", job_spy)
    from recoup.transactions import web_imports as transactions_web

    page_spy = ImportSpy(transactions_web.import_file)  # type: ignore[attr-defined]
    monkeypatch.setattr(transactions_web, "import_file", page_spy)
    csrf = log_in(client, ADMIN)
    done = client.post("/imports", data={"kind": "journal", "csrf_token": csrf},
                       files={"file": ("a.csv", journal_with_cards(3), "text/csv")})
    assert done.status_code == 200
    forged = client.post("/imports", data={"kind": "journal", "csrf_token": "forged"},
                         files={"file": ("b.csv", journal_with_cards(2), "text/csv")})
    assert forged.status_code == 403
    assert uploads(settings) == []
    started = client.post("/imports/jobs", data={"kind": "journal", "csrf_token": csrf},
                          files={"file": ("c.csv", journal_bytes(5, bad_amount_at=2), "text/csv")})
    assert 'data-state="rejected"' in follow(client, started.text)
    started = client.post("/imports/jobs", data={"kind": "journal", "csrf_token": csrf},
                          files={"file": ("d.csv", journal_bytes(50), "text/csv")})
    assert 'data-state="done"' in follow(client, started.text)
    assert_private_and_gone(page_spy, settings)
    assert_private_and_gone(job_spy, settings)


def test_a_second_file_or_a_broken_form_is_refused_clearly(world: World, client: TestClient,
                                                           settings: Settings) -> None:
    headers = {"Authorization": f"Bearer {token_for(world.database, ADMIN)}"}
    two = client.post("/api/v1/imports", data={"kind": "journal"}, headers=headers,
                      files=[("file", ("a.csv", b"x", "text/csv")), ("file", ("b.csv", b"y", "text/csv"))])
    assert two.status_code == 400
    assert two.json()["error"] == "too many files in the form (at most 1)"
    broken = client.post("/api/v1/imports", headers={**headers, "content-type": "multipart/form-data"},
                         content=b"--x\r\n")
    assert broken.status_code == 400
    assert "multipart/form-data" in broken.json()["error"]
    assert uploads(settings) == []


@pytest.fixture
def server_process(settings: Settings, system_temp: Path, world: World) -> Iterator[tuple[subprocess.Popen[bytes],
                                                                                          tuple[str, int]]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    env = {**os.environ, "TMPDIR": str(system_temp), "RECOUP_DATABASE_URL": settings.database_url,
           "RECOUP_VAR_DIR": str(settings.var_dir), "RECOUP_SECRET_KEY": settings.secret_key,
           "RECOUP_CARD_TOKEN_KEY": settings.card_token_key}
    code = ("import uvicorn; from recoup.web.app import create_app; "
            f"uvicorn.run(create_app(), host='127.0.0.1', port={port}, log_level='warning')")
    process = subprocess.Popen([sys.executable, "-c", code], env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield process, ("127.0.0.1", port)
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_after_kill_9_during_an_upload_the_next_start_removes_it(
        world: World, settings: Settings, database: Database, system_temp: Path,
        server_process: tuple[subprocess.Popen[bytes], tuple[str, int]]) -> None:
    process, address = server_process
    journal = journal_with_cards(40_000)
    connection = start_upload(address, token_for(world.database, ADMIN), journal[: len(journal) // 2])
    left = wait_for_upload(settings, len(journal) // 2)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    connection.close()
    assert left.exists()  # what a crash leaves: private, in the data folder, not in the system temp
    assert stat.S_IMODE(left.stat().st_mode) == 0o600
    assert files_holding(system_temp, PAN) == []
    create_app(settings, database)  # the next start
    assert uploads(settings) == []
    assert files_holding(settings.var_dir, PAN) == []


def test_the_sweep_spares_what_a_live_process_holds_and_what_is_newer(tmp_path: Path) -> None:
    folder = uploads_folder(tmp_path / "var")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    held, abandoned, newer = PrivateFile(folder), PrivateFile(folder), PrivateFile(folder)
    for stored in (held, abandoned, newer):
        stored.handle.write(PAN)
        stored.handle.close()
    abandoned._lock, lock = -1, abandoned._lock  # what a killed process leaves: the file, no lock
    os.close(lock)
    newer._lock, lock = -1, newer._lock
    os.close(lock)
    os.utime(newer.path, (time.time() + 60, time.time() + 60))
    (folder / "elsewhere").symlink_to(tmp_path)
    assert sweep_uploads(folder, before=time.time() + 30) == 1
    assert not abandoned.path.exists()
    assert held.path.exists()
    assert newer.path.exists()
    assert (folder / "elsewhere").is_symlink()
    held.release()
    assert not held.path.exists()
    assert sweep_uploads(folder, before=time.time() + 120) == 1  # newer, once older than the start
    (tmp_path / "other" / "uploads").mkdir(parents=True, mode=0o755)
    assert stat.S_IMODE(uploads_folder(tmp_path / "other").stat().st_mode) == 0o700
