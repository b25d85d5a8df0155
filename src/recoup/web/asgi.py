"""The application as an import string for servers that start their own processes
(`recoup serve --workers N`, or uvicorn/gunicorn directly: `recoup.web.asgi:application` with factory=True).
Each process reads its settings from the environment, like every other `recoup` command."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from recoup.config import get_settings
from recoup.logs import guard_loggers
from recoup.web.app import create_app
from recoup.web.serving import serve_blocking_work, settle_collector
from recoup.web.warm_up import warm_up


def application() -> FastAPI:
    settings = get_settings()
    app = create_app(settings)
    serve_blocking_work(app, settings.web_request_threads)  # this process only: recoup.web.serving
    guard_loggers()  # in each worker process: no card number in the access or error log
    logging.getLogger("uvicorn.error").info("%s", warm_up(app))  # before it listens (recoup.web.warm_up)
    settle_collector()  # last: what start-up made stays
    return app
