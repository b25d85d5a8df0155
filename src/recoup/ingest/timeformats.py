"""Date and time formats of statement files (`yyyyMMdd`, `HH:mm:ss`, `yyyyMMddHHmmss` ...), compiled once.

A format is made of the tokens yyyy, MM, dd, HH, mm, ss and literal separators (- / : . space T);
anything else is refused when the profile is read. A value is turned into the ISO 8601 text the
native loader reads (`2026-10-12T08:04:52`, or `2026-10-12` for dates): the loader then checks that
the date exists and applies the merchant's zone. Pure; no wall clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from recoup.errors import InvalidInput

TOKENS = {"yyyy": r"(?P<y>\d{4})", "MM": r"(?P<mo>\d{1,2})", "dd": r"(?P<d>\d{1,2})",
          "HH": r"(?P<h>\d{1,2})", "mm": r"(?P<mi>\d{1,2})", "ss": r"(?P<s>\d{1,2})"}
FIXED = {"yyyy": r"(?P<y>\d{4})", "MM": r"(?P<mo>\d{2})", "dd": r"(?P<d>\d{2})",
         "HH": r"(?P<h>\d{2})", "mm": r"(?P<mi>\d{2})", "ss": r"(?P<s>\d{2})"}
SEPARATORS = set("-/:. T")
_TOKEN = re.compile(r"yyyy|MM|dd|HH|mm|ss")


@dataclass(frozen=True)
class TimeFormat:
    text: str
    pattern: re.Pattern[str]
    has_time: bool
    slices: tuple[tuple[int, int], ...] | None = None  # (start, end) of y mo d h mi s, for values of fixed width

    def iso(self, value: str) -> str | None:
        """The ISO text of `value`, or None when it does not have this format."""
        found = self.pattern.fullmatch(value)
        if found is None:
            return None
        cut = self.slices
        if cut is not None and len(value) == len(self.text):  # the usual case: cut, no parsing
            day = f"{value[cut[0][0]:cut[0][1]]}-{value[cut[1][0]:cut[1][1]]}-{value[cut[2][0]:cut[2][1]]}"
            if len(cut) == 3:
                return day
            return f"{day}T{value[cut[3][0]:cut[3][1]]}:{value[cut[4][0]:cut[4][1]]}:{value[cut[5][0]:cut[5][1]]}"
        parts = found.groupdict()
        day = f"{parts['y']}-{int(parts['mo']):02d}-{int(parts['d']):02d}"
        if not self.has_time:
            return day
        return f"{day}T{int(parts['h']):02d}:{int(parts['mi']):02d}:{int(parts['s'] or 0):02d}"


def compile_format(text: str, where: str) -> TimeFormat:
    """The format `text`; InvalidInput naming `where` for a token that is not a date or time part."""
    pieces: list[str] = []
    seen: list[str] = []
    at = 0
    for token in _TOKEN.finditer(text):
        _literal(text[at:token.start()], text, where, pieces)
        alone = (token.start() == 0 or text[token.start() - 1] in SEPARATORS) and \
            (token.end() == len(text) or text[token.end()] in SEPARATORS)
        pieces.append((TOKENS if alone else FIXED)[token.group()])
        seen.append(token.group())
        at = token.end()
    _literal(text[at:], text, where, pieces)
    if len(set(seen)) != len(seen):
        raise InvalidInput(f"{where}: {text!r} names a part twice")
    has_date = {"yyyy", "MM", "dd"} <= set(seen)
    has_time = {"HH", "mm"} <= set(seen)
    if not has_date:
        raise InvalidInput(f"{where}: {text!r} is not a date format (it needs yyyy, MM and dd; "
                           "e.g. yyyy-MM-dd, yyyyMMdd, yyyyMMddHHmmss)")
    if "ss" not in seen and has_time:
        pieces.append(r"(?P<s>)")
    elif "ss" in seen and not has_time:
        raise InvalidInput(f"{where}: {text!r} has seconds without hours and minutes")
    return TimeFormat(text, re.compile("".join(pieces)), has_time, _slices(text, has_time and "ss" in seen))


def _slices(text: str, full: bool) -> tuple[tuple[int, int], ...] | None:
    """Where each part sits in a value written exactly as wide as the format (yyyy: 4, others: 2)."""
    order = ("yyyy", "MM", "dd", "HH", "mm", "ss") if full else ("yyyy", "MM", "dd")
    if not full and "HH" in text:
        return None
    found = []
    for token in order:
        at = text.find(token)
        found.append((at, at + len(token)))
    return tuple(found)


def _literal(chunk: str, text: str, where: str, pieces: list[str]) -> None:
    for char in chunk:
        if char not in SEPARATORS:
            raise InvalidInput(f"{where}: {text!r}: {char!r} is not a date or time part (use yyyy, MM, dd, "
                               "HH, mm, ss and the separators - / : . T or a space)")
        pieces.append(r"\s+" if char == " " else re.escape(char))
