"""How the incident report says things: codes in words (the translation catalogue), money with its currency,
times in the merchant's zone. Pure: no database, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from recoup.errors import InvalidInput
from recoup.money import Money
from recoup.web.i18n import translate

LANGS = {"zh": "zh_CN", "en": "en"}  # the report's languages and their catalogue locales
NOTHING = "—"


def report_locale(lang: str) -> str:
    """The catalogue locale of a report language ("zh" or "en"); anything else is refused clearly."""
    locale = LANGS.get(lang.strip().lower().replace("-", "_").removesuffix("_cn"))
    if locale is None:
        raise InvalidInput(f"unknown report language {lang[:20]!r}: use zh or en")
    return locale


def zone_of(name: str, fallback: str) -> ZoneInfo:
    for candidate in (name, fallback):
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


@dataclass(frozen=True)
class Words:
    locale: str  # zh_CN | en
    zone: ZoneInfo

    def t(self, msgid: str) -> str:
        return translate(self.locale, msgid)

    def code(self, code: str | None) -> str:
        """A kind's, cause's, state's, rung's, action's, role's or event's words; an untranslated code is
        made readable (OVER_REFUND: Over refund), never printed raw."""
        if not code:
            return NOTHING
        text = translate(self.locale, code)
        if text != code:
            return text
        return code.replace("_", " ").replace(".", " ").strip().capitalize()

    def money(self, minor: int, currency: str) -> str:
        return Money(minor, currency).format("zh_CN" if self.locale == "zh_CN" else "en_US")

    def when(self, moment: datetime | None) -> str:
        """The moment in the merchant's zone, to the minute (the zone is named once, in the header)."""
        if moment is None:
            return NOTHING
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        return aware.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    def explanation(self, text: str) -> str:
        """The finding's explanation in this language: explain() writes "Chinese / English [codes]"."""
        plain = text.strip()
        if plain.endswith("]") and " [" in plain:
            plain = plain[: plain.rindex(" [")]
        chinese, separator, english = plain.partition(" / ")
        if not separator:
            return plain or NOTHING
        return (chinese if self.locale == "zh_CN" else english).strip() or NOTHING
