"""The pages as a person uses them: Playwright driving the system Chromium."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from tests.support.factories import PASSWORD, World

from recoup.config import Settings
from recoup.db import Database
from recoup.web.app import create_app

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_url(settings: Settings, database: Database, world: World) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, database), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        yield chromium
        chromium.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_login_switch_language_logout(live_url: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{live_url}/")
    assert "/login" in page.url
    assert page.locator("h1").inner_text() == "登录"
    page.fill("input[name=username]", "a-admin")
    page.fill("input[name=password]", "wrong-password")
    page.click("form[action='/login'] button[type=submit]")
    assert "用户名或密码错误" in page.locator("[role=alert]").inner_text()
    page.fill("input[name=username]", "a-admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_url}/")
    assert page.locator("h1").inner_text() == "工作台"
    page.click("[data-testid=lang-en]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Dashboard"
    page.click("[data-testid=logout]")
    page.wait_for_url(f"{live_url}/login")
    assert page.locator("h1").inner_text() == "Log in"
    page.close()
