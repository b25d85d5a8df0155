"""The mapping page's problems in the page's language.

The services say what is wrong with a mapping in English, for the CLI and the API, naming the profile's keys
("profile my-bank: columns.settle_date.format: 'qq': ..."). On the mapping page the person sees fields, not
keys: the profile's name is dropped (it is the page's), a key is named by its field's words (the catalogue's
`field.<name>`), and the rest of the sentence goes through the catalogue (recoup.web.errors.page_message:
msgids with placeholders, web/locale/*/polish.po). English pages keep the services' sentence.
"""

from __future__ import annotations

import re

from recoup.web.errors import page_message
from recoup.web.i18n import lookup, normalise_locale

_PROFILE = re.compile(r"^profile [a-z0-9][a-z0-9_-]*: ")
_REQUIRED = re.compile(r"^\[columns\]: required field\(s\) of (?P<kind>[a-z]+) mapped to nothing: (?P<fields>.+)$")
_FIELD_KEY = re.compile(r"^columns\.(?P<field>[a-z_]+)(?:\.[a-z_/]+)?: (?P<rest>.+)$", re.DOTALL)
REQUIRED_MSGID = "required field(s) of {kind} mapped to nothing: {fields}"


def field_words(locale: str, name: str) -> str:
    """A SPEC field as the page names it ("rrn" -> 参考号 / Reference number)."""
    shown = lookup(locale, f"field.{name}")
    return name if shown == f"field.{name}" else shown


def problem_words(locale: str, problem: str) -> str:
    """The mapping page's problem in the page's language."""
    locale = normalise_locale(locale)
    text = _PROFILE.sub("", problem, count=1)
    required = _REQUIRED.match(text)
    if required:
        fields = [name.strip() for name in required.group("fields").split(",")]
        if locale == "en":
            return text.removeprefix("[columns]: ")
        joint = "、" if locale == "zh_CN" else ", "
        return lookup(locale, REQUIRED_MSGID).format(kind=lookup(locale, required.group("kind")),
                                                     fields=joint.join(field_words(locale, f) for f in fields))
    keyed = _FIELD_KEY.match(text)
    if keyed:
        colon = "：" if locale == "zh_CN" else ": "
        return f"{field_words(locale, keyed.group('field'))}{colon}{page_message(locale, keyed.group('rest'))}"
    return page_message(locale, text)
