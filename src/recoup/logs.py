"""Logs never hold a full card number: a filter masks them in every record (the access log's URLs with
a search term, an error's message quoting a value), for our loggers and the web server's."""

from __future__ import annotations

import logging

from recoup.transactions.pan_guard import mask_pans

GUARDED_LOGGERS = ("", "recoup", "uvicorn", "uvicorn.access", "uvicorn.error")


class CardNumberFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_pans(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def guard_loggers() -> None:
    """Attach the filter to the loggers and to every handler they have (handlers see propagated records)."""
    card_filter = CardNumberFilter()
    for name in GUARDED_LOGGERS:
        logger = logging.getLogger(name)
        logger.addFilter(card_filter)
        for handler in logger.handlers:
            handler.addFilter(card_filter)
