"""Import an ISO 8583:1987 switch log (pyiso8583 `default_ascii` layout) as SPEC journal rows.

Pure: no database, no web. One message a line; requests (0200, 0400) pair with their responses
(0210, 0410) by terminal, STAN and transmission time. The full PAN leaves this module only as an
HMAC-SHA256 token; rows carry the masked card. Bad lines become `LineError`s, never tracebacks.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import iso8583
from iso8583.specs import default_ascii

from recoup.errors import InvalidInput
from recoup.money import CURRENCY_EXPONENTS, NUMERIC_CODES, format_major

JOURNAL_COLUMNS: tuple[str, ...] = (
    "merchant_id", "terminal_id", "txn_time", "txn_type", "status", "amount", "currency", "rrn",
    "stan", "auth_code", "card", "order_no", "cashier_id", "orig_rrn", "batch_no",
)
LOCAL_OFFSET = timezone(timedelta(hours=8))  # the switch logs local time of Asia/Shanghai
APPROVED_CODE = "00"
REQUEST_OF_RESPONSE: dict[str, str] = {"0210": "0200", "0410": "0400"}
KNOWN_MTIS = frozenset({"0200", "0210", "0400", "0410"})
TYPE_OF_PROCESSING: dict[str, str] = {"00": "SALE", "02": "VOID", "20": "REFUND"}

_REQUEST_FIELDS = ("2", "3", "4", "7", "11", "12", "13", "37", "41", "42", "49")
_RESPONSE_FIELDS = ("7", "11", "39", "41")
# Fields a request may carry (a response adds 38, 39); a bitmap naming others is suspect when
# decoding fails.
_CARRIED = frozenset({1, *map(int, _REQUEST_FIELDS), 90})
_ANSWER_FIELDS = frozenset({38, 39})
_MMDD = r"(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])"
_HHMMSS = r"([01]\d|2[0-3])[0-5]\d[0-5]\d"
_PRINTABLE = r"[\x20-\x7e]"
# field -> (pattern, what it must be). Decoded values are checked before any is used.
_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    key: (re.compile(pattern), meaning)
    for key, pattern, meaning in (
        ("2", r"\d{12,19}", "a PAN of 12 to 19 digits"),
        ("3", r"\d{6}", "6 digits"),
        ("4", r"\d{12}", "12 digits"),
        ("7", _MMDD + _HHMMSS, "a date-time MMDDhhmmss"),
        ("11", r"\d{6}", "6 digits"),
        ("12", _HHMMSS, "a time hhmmss"),
        ("13", _MMDD, "a date MMDD"),
        ("37", r"[0-9A-Za-z]{12}", "12 letters or digits"),
        ("38", _PRINTABLE + "{6}", "6 printable characters"),
        ("39", r"[0-9A-Za-z]{2}", "2 letters or digits"),
        ("41", _PRINTABLE + "{8}", "8 printable characters"),
        ("42", _PRINTABLE + "{15}", "15 printable characters"),
        ("49", r"\d{3}", "3 digits"),
        ("90", r"\d{42}", "42 digits"),
    )
}


@dataclass(frozen=True)
class LineError:
    line: int
    column: str  # "MTI", "bitmap" or "field N"
    reason: str


@dataclass
class SwitchLogResult:
    rows: list[dict[str, str]] = field(default_factory=list)  # JOURNAL_COLUMNS plus "card_token"
    warnings: list[str] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)


class _BadField(Exception):
    def __init__(self, column: str, reason: str) -> None:
        super().__init__(f"{column}: {reason}")
        self.column = column
        self.reason = reason


_Key = tuple[str, str, str, str]


@dataclass(frozen=True)
class _Message:
    line: int
    mti: str
    fields: Mapping[str, str]

    def pairing_key(self) -> _Key:
        """(request MTI, terminal, STAN, transmission time): STANs repeat across terminals."""
        request_mti = REQUEST_OF_RESPONSE.get(self.mti, self.mti)
        return request_mti, self.fields["41"], self.fields["11"], self.fields["7"]


_Index = dict[_Key, _Message]


def mask_pan(pan: str) -> str:
    """First six and last four digits, '*' between, same length."""
    return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]


def card_token(pan: str, card_key: bytes) -> str:
    return hmac.new(card_key, pan.encode("ascii"), hashlib.sha256).hexdigest()


def parse_switch_log(
    lines: Iterable[bytes], *, year: int | None, card_key: bytes, today: date | None = None
) -> SwitchLogResult:
    """Decode, pair and turn a switch log into journal rows, in the order of the requests."""
    if not card_key:
        raise InvalidInput("a card key is needed to token card numbers")
    result = SwitchLogResult()
    messages = _decode_lines(lines, result.errors)
    requests, responses = _pair(messages, result)
    today = today or datetime.now(LOCAL_OFFSET).date()
    for request in requests.values():
        try:
            row = _journal_row(request, responses.get(request.pairing_key()), year, today)
            row["orig_rrn"] = _original_rrn(request, requests, result.warnings)
            row["card_token"] = card_token(request.fields["2"], card_key)
        except _BadField as bad:
            result.errors.append(LineError(request.line, bad.column, bad.reason))
            continue
        result.rows.append(row)
    result.errors.sort(key=lambda error: error.line)
    return result


def write_journal_csv(rows: Iterable[Mapping[str, str]], path: str | Path) -> None:
    """A SPEC journal CSV (UTF-8, the `card` column holds the masked card; no token, no PAN)."""
    with Path(path).open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=JOURNAL_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _decode_lines(lines: Iterable[bytes], errors: list[LineError]) -> list[_Message]:
    messages: list[_Message] = []
    for line_no, raw in enumerate(lines, start=1):
        line = raw.rstrip(b"\r\n")
        if not line.strip():
            continue
        try:
            messages.append(_decode_message(line, line_no))
        except _BadField as bad:
            errors.append(LineError(line_no, bad.column, bad.reason))
    return messages


def _decode_message(line: bytes, line_no: int) -> _Message:
    try:
        decoded, _ = iso8583.decode(line, default_ascii)
    except iso8583.DecodeError as failure:
        raise _explain_decode_failure(line, failure) from None
    except (TypeError, ValueError, KeyError, IndexError) as failure:  # defensive: never a traceback
        raise _BadField("message", f"cannot decode: {type(failure).__name__}") from None
    mti = decoded["t"]
    if mti not in KNOWN_MTIS:
        raise _BadField("MTI", f"unknown MTI {mti!r} (expected one of {', '.join(sorted(KNOWN_MTIS))})")
    required = _RESPONSE_FIELDS if mti in REQUEST_OF_RESPONSE else _REQUEST_FIELDS
    for key in required:
        if key not in decoded:
            raise _BadField(f"field {key}", f"missing from a {mti} message")
    for key, value in decoded.items():
        _check_format(key, value)
    padded = ("37", "38", "41", "42")  # alphanumeric fields may be space-padded to their length
    fields = {key: value.rstrip() if key in padded else value for key, value in decoded.items()}
    return _Message(line_no, mti, fields)


def _check_format(key: str, value: str) -> None:
    if key not in _FORMATS:
        return
    pattern, meaning = _FORMATS[key]
    if not pattern.fullmatch(value):
        # Echo only values too short to hold a card number: a misaligned message can shift
        # PAN digits into any long field.
        shown = repr(value) if key != "2" and len(value) < 12 else f"{len(value)} characters"
        raise _BadField(f"field {key}", f"must be {meaning}, got {shown}")


def _column_of(field_key: str) -> str:
    return {"t": "MTI", "p": "bitmap", "1": "bitmap", "h": "header"}.get(field_key, f"field {field_key}")


def _explain_decode_failure(line: bytes, failure: iso8583.DecodeError) -> _BadField:
    """Name the field at fault: a non-ASCII byte, a bitmap naming absent fields, or a bad length."""
    column = _column_of(failure.field)
    if not line.isascii():
        position = next(index for index, byte in enumerate(line) if byte > 0x7F)
        return _BadField(column, f"non-ASCII byte 0x{line[position]:02X} at position {position}")
    mti = failure.doc_dec.get("t", "")
    if mti and mti not in KNOWN_MTIS:
        return _BadField("MTI", f"unknown MTI {mti!r}")
    if failure.field not in ("h", "t", "p", "1"):  # past the bitmaps: they are whole and valid
        carried = _CARRIED | _ANSWER_FIELDS if mti in REQUEST_OF_RESPONSE else _CARRIED
        unexpected = sorted(_bitmap_fields(failure.doc_dec) - carried)
        if unexpected:
            named = ", ".join(str(number) for number in unexpected)
            return _BadField("bitmap", f"names field(s) {named}, absent from the message ({failure.msg})")
        misfit = _first_misfit(failure)
        if misfit is not None:
            return misfit
    if "expecting" in failure.msg or "Extra data" in failure.msg:
        return _BadField(column, f"truncated message or wrong-length field: {failure.msg}")
    return _BadField(column, failure.msg)


def _first_misfit(failure: iso8583.DecodeError) -> _BadField | None:
    """A fixed field of the wrong length shifts every later field: the first decoded field whose
    content no longer fits is where the fault most likely sits."""
    for key, value in failure.doc_dec.items():
        if key == failure.field:
            continue  # the field being decoded when it failed holds partial data
        try:
            _check_format(key, value)
        except _BadField as misfit:
            hint = "this field or the one before it has a wrong length"
            return _BadField(misfit.column, f"{misfit.reason}: {hint} ({failure.msg})")
    return None


def _bitmap_fields(decoded: Mapping[str, str]) -> set[int]:
    """Field numbers a decoded primary (and secondary) bitmap names, without the bitmap bits."""
    named: set[int] = set()
    for offset, key in ((0, "p"), (64, "1")):
        text = decoded.get(key, "0")
        if not all(char in string.hexdigits for char in text):
            return set()  # a damaged bitmap names nothing we can trust
        bits = int(text, 16)
        named |= {offset + number for number in range(1, 65) if bits >> (64 - number) & 1}
    return named - {1, 65}


def _pair(messages: Sequence[_Message], result: SwitchLogResult) -> tuple[_Index, _Index]:
    """Index requests and their single response by pairing key; report repeats and orphans."""
    requests: _Index = {}
    responses: _Index = {}
    for message in sorted(messages, key=lambda message: message.mti in REQUEST_OF_RESPONSE):
        key = message.pairing_key()
        index = responses if message.mti in REQUEST_OF_RESPONSE else requests
        if index is responses and key not in requests:
            result.warnings.append(
                f"line {message.line}: {message.mti} answers no request in the log "
                f"(terminal {key[1]}, STAN {key[2]}, time {key[3]})"
            )
        elif key in index:
            reason = f"repeats line {index[key].line} (same MTI, terminal, STAN and transmission time)"
            result.errors.append(LineError(message.line, "field 11", reason))
        else:
            index[key] = message
    return requests, responses


def _journal_row(
    request: _Message, response: _Message | None, year: int | None, today: date
) -> dict[str, str]:
    fields = request.fields
    currency = NUMERIC_CODES.get(fields["49"], "")
    if currency not in CURRENCY_EXPONENTS:
        raise _BadField("field 49", f"unknown currency code {fields['49']!r}")
    return {
        "merchant_id": fields["42"],
        "terminal_id": fields["41"],
        "txn_time": _local_time(fields["13"], fields["12"], year, today),
        "txn_type": _txn_type(request),
        "status": _status(response),
        "amount": format_major(int(fields["4"]), currency),
        "currency": currency,
        "rrn": fields["37"],
        "stan": fields["11"],
        "auth_code": response.fields.get("38", "") if response else "",
        "card": mask_pan(fields["2"]),
        "order_no": "",
        "cashier_id": "",
        "orig_rrn": "",
        "batch_no": "",
    }


def _txn_type(request: _Message) -> str:
    if request.mti == "0400":
        return "REVERSAL"
    processing = request.fields["3"][:2]
    if processing not in TYPE_OF_PROCESSING:
        raise _BadField("field 3", f"unsupported processing code {request.fields['3']!r}")
    return TYPE_OF_PROCESSING[processing]


def _status(response: _Message | None) -> str:
    if response is None:
        return "TIMEOUT"
    return "APPROVED" if response.fields["39"] == APPROVED_CODE else "DECLINED"


def _local_time(mmdd: str, hhmmss: str, year: int | None, today: date) -> str:
    """ISO 8601 local time; without a year, a date later than today belongs to last year."""
    month, day = int(mmdd[:2]), int(mmdd[2:])
    if year is None:
        year = today.year - 1 if (month, day) > (today.month, today.day) else today.year
    try:
        moment = datetime(year, month, day, int(hhmmss[:2]), int(hhmmss[2:4]), int(hhmmss[4:]))
    except ValueError:
        raise _BadField("field 13", f"impossible date {mmdd} in {year}") from None
    return moment.replace(tzinfo=LOCAL_OFFSET).isoformat()


def _original_rrn(
    request: _Message, requests: Mapping[_Key, _Message], warnings: list[str]
) -> str:
    """RRN of the original a void, refund or reversal names in field 90, on the same terminal."""
    if request.mti == "0200" and request.fields["3"][:2] == "00":
        return ""
    original_data = request.fields.get("90")
    if original_data is None:
        warnings.append(f"line {request.line}: {request.mti} names no original (field 90 missing)")
        return ""
    original_mti = REQUEST_OF_RESPONSE.get(original_data[:4], original_data[:4])
    stan, sent_at = original_data[4:10], original_data[10:20]
    original = requests.get((original_mti, request.fields["41"], stan, sent_at))
    if original is None:
        warnings.append(
            f"line {request.line}: original {original_mti} STAN {stan} at {sent_at} on terminal "
            f"{request.fields['41']} is not in the log; orig_rrn left empty"
        )
        return ""
    return original.fields["37"]
