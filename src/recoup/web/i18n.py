"""UI translations from Babel .po catalogues (msgids are English; zh_CN is the default locale)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LOCALE_NAMES = {"zh_CN": "简体中文", "en": "English"}
_CATALOGUES = Path(__file__).parent / "locale"


def normalise_locale(value: str | None) -> str:
    if not value:
        return DEFAULT_LOCALE
    value = value.replace("-", "_")
    if value.lower().startswith("zh"):
        return "zh_CN"
    if value.lower().startswith("en"):
        return "en"
    return DEFAULT_LOCALE


@lru_cache(maxsize=4)
def catalogue(locale: str) -> dict[str, str]:
    """messages.po, then one catalogue per domain (evidence.po, messaging.po, ...) in name order."""
    folder = _CATALOGUES / locale / "LC_MESSAGES"
    found: dict[str, str] = {}
    for path in sorted(folder.glob("*.po"), key=lambda p: (p.name != "messages.po", p.name)):
        with path.open("rb") as handle:
            parsed = read_po(handle, locale=locale)
        found.update({str(m.id): str(m.string) for m in parsed if m.id and isinstance(m.id, str) and m.string})
    return found


def translate(locale: str, message: str) -> str:
    return catalogue(normalise_locale(locale)).get(message, message)
