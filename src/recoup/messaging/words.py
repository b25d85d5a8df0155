"""A refusal in the reader's language: the pages of this domain show a RecoupError through the catalogue."""

from __future__ import annotations

from recoup.errors import RecoupError
from recoup.web.i18n import translate


def refusal_words(locale: str, error: RecoupError) -> str:
    """The error's reason translated and filled in (detail {"reason", "values"}), else its message translated."""
    detail = error.detail
    if isinstance(detail, dict) and isinstance(detail.get("reason"), str):
        values = detail.get("values")
        filled = {str(k): str(v) for k, v in values.items()} if isinstance(values, dict) else {}
        try:
            return translate(locale, detail["reason"]).format(**filled)
        except (KeyError, IndexError, ValueError):
            return error.message
    return translate(locale, error.message)
