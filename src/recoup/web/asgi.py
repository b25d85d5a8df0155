"""The application as an import string for servers that start their own processes
(`recoup serve --workers N`, or uvicorn/gunicorn directly: `recoup.web.asgi:application` with factory=True).
Each process reads its settings from the environment, like every other `recoup` command."""

from __future__ import annotations

from fastapi import FastAPI

from recoup.config import get_settings
from recoup.web.app import create_app
from recoup.web.serving import finish_start_up, serve_blocking_work


def application() -> FastAPI:
    settings = get_settings()
    app = create_app(settings)
    serve_blocking_work(app, settings.web_request_threads)  # this process only: recoup.web.serving
    finish_start_up(app)  # in each worker process, before it listens
    return app
