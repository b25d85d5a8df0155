"""UI translations from Babel .po catalogues (msgids are English; zh_CN is the default locale).

translate() looks a text up as a msgid. A service's refusal carries values ("transaction 123 already has case
RC-2026-000120"): it matches a msgid with named placeholders ("transaction {rrn} already has case {case}"),
whose translation is filled with the values, each value that is a code (a role, a state, a kind, a
permission) in words. So an error message is translated wherever a page shows it, and the API and the CLI
keep the English text the services raise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Explained:
    """A finding's bilingual explanation for one reader: `mine` in their language, `other` in the other
    one (shown a click away, marked with `other_lang`), `codes` the scheme reason codes in words."""

    mine: str
    other: str
    other_lang: str
    codes: tuple[str, ...]


@lru_cache(maxsize=4096)
def explained(text: str | None, locale: str) -> Explained:
    """ "交易已撤销… / The sale was voided… [UnionPay 4544]" -> the reader's half, the other half and
    "银联原因码 4544" / "UnionPay reason code 4544"; a text in one language only is `mine`."""
    locale = normalise_locale(locale)
    plain, codes = (text or "").strip(), tuple[str, ...]()
    if plain.endswith("]") and " [" in plain:
        plain, _, listed = plain[:-1].rpartition(" [")
        codes = tuple(_reason_code(code.strip(), locale) for code in listed.split(";") if code.strip())
    chinese, separator, english = (part.strip() for part in plain.partition(" / "))
    other_lang = "en" if locale == "zh_CN" else "zh-CN"
    if not separator:
        return Explained(plain, "", other_lang, codes)
    mine, other = (chinese, english) if locale == "zh_CN" else (english, chinese)
    return Explained(mine, other, other_lang, codes)


def _reason_code(code: str, locale: str) -> str:
    scheme, _, number = code.rpartition(" ")
    if not scheme:
        return code
    return lookup(locale, "{scheme} reason code {code}").format(scheme=lookup(locale, scheme), code=number)


def lookup(locale: str, message: str) -> str:
    """The catalogue entry of `message`, or `message` itself: no placeholders, no code words."""
    return catalogue(normalise_locale(locale)).get(message, message)


def translate(locale: str, message: str) -> str:
    """`message` in the language: its catalogue entry, else a msgid-with-placeholders' translation filled with
    the message's values; else the message as it is. Cached: the catalogues do not change under a running
    process, and a page asks for the same hundred texts on every request (a str subclass, such as Markup,
    is not: its own type comes back)."""
    if type(message) is str:
        return _translated(locale, message)
    return _translate(locale, message)


@lru_cache(maxsize=8192)
def _translated(locale: str, message: str) -> str:
    return _translate(locale, message)


def _translate(locale: str, message: str) -> str:
    locale = normalise_locale(locale)
    found = catalogue(locale).get(message)
    if found is not None:
        return found
    if message in catalogue(DEFAULT_LOCALE) or len(message) < MIN_FIXED_TEXT:  # a known msgid without translation
        return message
    matched = _pattern_match(message)
    if matched is None:
        return message
    msgid, values = matched
    try:
        words = {name: _value_words(locale, value) for name, value in values.items()}
        if locale != DEFAULT_LOCALE:  # mid-sentence, "the case is Closed" reads "the case is closed"
            words = {name: _mid_sentence(text) if text != values[name] and not msgid.startswith("{" + name + "}")
                     else text for name, text in words.items()}
        return lookup(locale, msgid).format(**words)
    except (KeyError, IndexError, ValueError):  # a translation naming a value the msgid does not have
        return message


_CODE = re.compile(r"^[A-Za-z]+([_.][A-Za-z0-9]+)+$|^[A-Z]{2,}$")
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_UPPER_CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
MIN_FIXED_TEXT = 6  # "{a} {b}" would match anything: a pattern needs some words of its own


def code_label(locale: str, code: object) -> str:
    """An enum's code as words: its catalogue entry, else (a code nobody translated yet) "Action pending"
    made from ACTION_PENDING, so a page never shows the raw code."""
    return _code_words(locale, "" if code is None else str(code))


@lru_cache(maxsize=4096)
def _code_words(locale: str, text: str) -> str:
    if not text:
        return ""
    translated = lookup(locale, text)
    if translated != text or not _CODE.match(text):
        return translated
    words = text.replace(".", " ").replace("_", " ").strip().lower()
    return words[:1].upper() + words[1:]


def _value_words(locale: str, value: str) -> str:
    """A value of a message as the page shows it: a catalogue entry or a code (merchant_finance, REFUND,
    ACTION_PENDING) in words; anything else (a number, an RRN, a name, a form field) as it is."""
    for candidate in (value, value.upper() if value.isalpha() and value.islower() else value):
        translated = lookup(locale, candidate)  # "refund" in "a refund would ..." is the code REFUND
        if translated != candidate:
            return translated.lower() if candidate != value and translated.isascii() else translated
    known = _UPPER_CODE.match(value) or value in catalogue(DEFAULT_LOCALE)  # a code: words in Chinese
    return code_label(locale, value) if known else value


def _mid_sentence(words: str) -> str:
    """ "Closed" -> "closed", "Merchant finance" -> "merchant finance"; "UnionPay", "QR code" stay."""
    return words[:1].lower() + words[1:] if len(words) > 1 and words[1].islower() else words


def _compile(msgid: str) -> re.Pattern[str]:
    parts: list[str] = []
    seen: set[str] = set()
    position = 0
    for found in _PLACEHOLDER.finditer(msgid):
        parts.append(re.escape(msgid[position:found.start()]))
        name = found.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>(?:(?!; ).)+?)")  # "; " joins messages
        seen.add(name)
        position = found.end()
    parts.append(re.escape(msgid[position:]))
    return re.compile("^" + "".join(parts) + "$", re.DOTALL)


@lru_cache(maxsize=1)
def message_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Every msgid with named placeholders of the UI catalogues, as a pattern; the longest fixed text first,
    so "no case {case}: name a case ..." wins over "no case {case}"."""
    msgids = {msgid for locale in LOCALES for msgid in catalogue(locale) if _PLACEHOLDER.search(msgid)}
    fixed = {msgid: len(_PLACEHOLDER.sub("", msgid)) for msgid in msgids}
    ordered = sorted(msgids, key=lambda msgid: (-fixed[msgid], msgid))
    return tuple((_compile(msgid), msgid) for msgid in ordered if fixed[msgid] >= MIN_FIXED_TEXT)


def _pattern_match(message: str) -> tuple[str, dict[str, str]] | None:
    for pattern, msgid in message_patterns():
        found = pattern.match(message)
        if found:
            return msgid, found.groupdict()
    return None
