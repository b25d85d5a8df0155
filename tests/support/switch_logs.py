"""ISO 8583 messages for switch-log tests: a financial request of tenant A's terminal, and its encoding."""

from __future__ import annotations

import iso8583
from iso8583.specs import default_ascii
from tests.support.factories import OBJECTS

M_A, T_A = OBJECTS["A"]


def iso_request(**fields: str) -> dict[str, str]:
    """A 0200 sale request of 128.00 CNY by a full card number, with `fields` (by field number) changed."""
    return {"t": "0200", "2": "6228480012345678", "3": "000000", "4": "000000012800", "7": "1012100000",
            "11": "000001", "12": "100000", "13": "1012", "37": "000000000001", "41": T_A, "42": M_A, "49": "156",
            **fields}


def iso_bytes(fields: dict[str, str]) -> bytes:
    raw, _ = iso8583.encode(dict(fields), default_ascii)
    return bytes(raw)
