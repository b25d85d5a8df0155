"""One error base class; the API, the web pages and the CLI each render it in their own way."""

from __future__ import annotations


class RecoupError(Exception):
    """An error a user may see: a clear message and the HTTP status that fits it."""

    status: int = 400

    def __init__(self, message: str, status: int | None = None, detail: object = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.detail = detail


class NotFound(RecoupError):
    status = 404


class Forbidden(RecoupError):
    status = 403


class Unauthorized(RecoupError):
    status = 401


class Conflict(RecoupError):
    status = 409


class InvalidInput(RecoupError):
    status = 422
