"""What the vault accepts: types told by content (never by name), size limits per kind, safe names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.evidence.evidence_world import EXE, PDF, jpeg_bytes, png_bytes

from recoup.evidence.rules import MAX_BYTES, MIB, check_upload, readable_size, safe_name, sniff


@pytest.mark.parametrize(("head", "expected"), [
    (jpeg_bytes(), "image/jpeg"), (png_bytes(), "image/png"), (b"GIF89a\x01\x00", "image/gif"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"), (b"\x00\x00\x00\x18ftypheic\x00", "image/heic"),
    (PDF, "application/pdf"), (b"PK\x03\x04\x14\x00", "application/zip"),
    (b"ID3\x03\x00", "audio/mpeg"), (b"\x00\x00\x00\x20ftypM4A \x00", "audio/mp4"),
    (b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio/wav"), (b"#!AMR\n\x3c", "audio/amr"),
    ("顾客：我被多扣了1152元\n商户：马上处理".encode(), "text/plain"), (b'{"chat": []}', "application/json"),
    (b"From: shop@example.com\r\nSubject: refund\r\n\r\nhello", "message/rfc822"),
    (EXE, ""), (b"\x7fELF\x02\x01", ""), (b"#!/bin/sh\nrm -rf /\n", ""), (b"\x00\x01\x02binary", ""),
])
def test_the_type_is_told_by_the_first_bytes(head: bytes, expected: str) -> None:
    assert sniff(head) == expected


def test_a_program_renamed_jpg_is_refused_and_says_why() -> None:
    content_type, refusal = check_upload("photo", len(EXE), EXE)
    assert content_type == ""
    assert refusal is not None
    assert "program" in refusal.english()


def test_each_kind_takes_its_own_types_only() -> None:
    assert check_upload("receipt", len(PDF), PDF) == ("application/pdf", None)
    refused = check_upload("photo", len(PDF), PDF)[1]  # a photo is an image
    assert refused is not None
    assert refused.english() == (
        "the file's content is not accepted for kind photo (accepted: images)")
    assert check_upload("call", 10, b"ID3\x03\x00\x00\x00\x00\x00\x00")[0] == "audio/mpeg"
    assert check_upload("call", len(PDF), PDF)[1] is not None
    assert check_upload("message", 5, b"hello")[0] == "text/plain"


def test_size_limits_per_kind_and_empty_files() -> None:
    assert MAX_BYTES["photo"] == 15 * MIB
    assert MAX_BYTES["call"] == 100 * MIB
    assert MAX_BYTES["document"] == 50 * MIB
    too_big = check_upload("photo", 15 * MIB + 1, jpeg_bytes())[1]
    assert too_big is not None
    assert too_big.english() == "the file is too large for kind photo: 15 MiB, at most 15 MiB"
    assert check_upload("call", 15 * MIB + 1, b"ID3\x03\x00")[1] is None  # a recording may be larger
    empty = check_upload("photo", 0, b"")[1]
    assert empty is not None
    assert empty.english() == "the file is empty"
    unknown = check_upload("journal", 10, b"hello")[1]
    assert unknown is not None
    assert "unknown evidence kind journal" in unknown.english()


@given(st.text(max_size=400))
def test_a_safe_name_has_no_folder_no_control_character_and_at_most_120_characters(name: str) -> None:
    cleaned = safe_name(name, "image/png")
    assert cleaned
    assert len(cleaned) <= 120
    assert "/" not in cleaned
    assert "\\" not in cleaned
    assert not cleaned.startswith(".")
    assert all(c.isprintable() or c == " " for c in cleaned)


def test_names_keep_what_a_person_wrote() -> None:
    assert safe_name("../../etc/小票 照片.JPG") == "小票 照片.JPG"
    assert safe_name("C:\\Users\\me\\slip.png") == "slip.png"
    assert safe_name("", "image/png") == "file.png"
    assert safe_name("a" * 200 + ".pdf").endswith(".pdf")
    assert readable_size(1536) == "1.5 KiB"
    assert readable_size(15 * MIB) == "15 MiB"
    assert readable_size(12) == "12 B"
