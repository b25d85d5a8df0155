"""Liveness and readiness: what a load balancer asks before sending a node traffic."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from recoup.config import Settings
from recoup.db import Database
from recoup.migrations.runner import head_revision, upgrade
from recoup.web.app import create_app


def test_a_migrated_node_is_alive_and_ready(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "revision": head_revision()}
    assert ready.headers["cache-control"] == "no-store"


def test_a_node_whose_database_is_behind_is_alive_but_not_ready(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(database.engine, "0002")
    settings = Settings(database_url=database.url, var_dir=tmp_path / "var")
    with TestClient(create_app(settings, database)) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert "revision 0002" in ready.json()["reason"]
    assert "recoup db upgrade" in ready.json()["reason"]
    database.dispose()


def test_a_node_whose_database_is_away_is_not_ready(tmp_path: Path) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:9/recoup?connect_timeout=1"  # port 9: nothing listens
    settings = Settings(database_url=url, var_dir=tmp_path / "var")
    database = Database(url)
    with TestClient(create_app(settings, database)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "reason": "the database does not answer"}
    database.dispose()
