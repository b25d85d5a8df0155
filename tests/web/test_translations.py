"""Every page works in Chinese and English: each fixed text of a template has its Chinese translation."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

import recoup

WEB = Path(recoup.__file__).parent / "web"
_TEXT = re.compile(r'''_\(\s*"((?:[^"\\]|\\.)*)"\s*\)''')


def _chinese() -> dict[str, str]:
    """Every zh_CN catalogue: messages.po and one per domain."""
    found: dict[str, str] = {}
    for path in (WEB / "locale/zh_CN/LC_MESSAGES").glob("*.po"):
        with path.open("rb") as handle:
            found.update({str(m.id): str(m.string) for m in read_po(handle) if m.id and isinstance(m.id, str)})
    return found


def test_every_template_text_has_a_chinese_translation() -> None:
    chinese = _chinese()
    texts = {(path.name, match.group(1)) for path in (WEB / "templates").rglob("*.html")
             for match in _TEXT.finditer(path.read_text(encoding="utf-8"))}
    assert len(texts) > 100  # the scan found the templates' texts
    untranslated = sorted((name, text) for name, text in texts if not chinese.get(text))
    assert untranslated == []


def test_every_reason_a_page_gives_for_a_refused_value_has_a_chinese_translation() -> None:
    from recoup.web.errors import ANY_OTHER_REASON, PAGE_REASONS

    chinese = _chinese()
    reasons = {*PAGE_REASONS.values(), ANY_OTHER_REASON}
    assert sorted(reason for reason in reasons if not chinese.get(reason)) == []
