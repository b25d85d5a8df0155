"""Helpers of the evidence tests: a case of tenant A, sample files whose bytes are what they claim."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime

from tests.cases.test_case_world import admin
from tests.support.factories import OBJECTS, World

from recoup.cases.opening import OpenRequest, open_case

NOW = datetime(2026, 10, 14, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
MERCHANT_A = OBJECTS["A"][0]
MERCHANT_B = OBJECTS["B"][0]


def png_bytes(width: int = 2, height: int = 2, shade: int = 200) -> bytes:
    """A real PNG (the browser shows it as a thumbnail), `shade` making different files differ."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes([shade, 80, 40]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def jpeg_bytes(size: int = 2048, fill: int = 7) -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes([fill]) * size + b"\xff\xd9"


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200  # a Windows program
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def open_case_for(world: World, tenant: str = "A", summary: str = "cashier keyed 1280.00 for 128.00") -> str:
    merchant = MERCHANT_A if tenant == "A" else MERCHANT_B
    with world.database.unit_of_work() as session:
        return open_case(session, admin(world, tenant), OpenRequest(merchant_id=merchant, amount="1152.00",
                                                                    summary=summary)).number
