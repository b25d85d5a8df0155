"""Text encodings of input files: UTF-8 (with or without BOM) or GB18030; anything else is refused.

The sniff looks at the head of the file only. A UTF-8-looking head is read as UTF-8 directly (DuckDB
validates the rest and the loader falls back to GB18030 when it finds a bad byte further down); a
GB18030 file is transcoded to a temporary UTF-8 file, streaming, so size does not matter.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from recoup.errors import InvalidInput

UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
GB18030 = "gb18030"
SNIFF_BYTES = 1 << 20
_CHUNK_BYTES = 1 << 22
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_GB18030_BOM = b"\x84\x31\x95\x33"
# Control bytes text rarely holds (tab, newline and carriage return are fine); a few are tolerated.
_CONTROL_BYTES = bytes(byte for byte in range(32) if byte not in (9, 10, 13))


def read_head(path: Path, size: int = SNIFF_BYTES) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except FileNotFoundError:
        raise InvalidInput(f"{path.name}: no such file") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path.name}: is a directory, not a CSV file") from None
    except OSError as error:
        raise InvalidInput(f"{path.name}: cannot be read ({error.strerror})") from None


def _decodes(head: bytes, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        decoder.decode(head, final=False)  # a character cut by the sniff window is fine
    except UnicodeDecodeError:
        return False
    return True


def sniff_encoding(head: bytes, name: str) -> str:
    """UTF8, UTF8_BOM or GB18030 for the head of a file; InvalidInput for binary or other text."""
    if head.startswith(codecs.BOM_UTF8):
        return UTF8_BOM
    if head.startswith(_UTF16_BOMS):
        raise InvalidInput(f"{name}: UTF-16 text is not supported; save it as UTF-8 or GB18030")
    control_bytes = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if b"\0" in head or control_bytes > max(8, len(head) // 1000):
        raise InvalidInput(f"{name}: a binary file, not a CSV text file")
    if _decodes(head, UTF8):
        return UTF8
    if _decodes(head, GB18030):
        return GB18030
    raise InvalidInput(f"{name}: not text in UTF-8 or GB18030")


def transcode_to_utf8(source: Path, target: Path, encoding: str = GB18030) -> None:
    """Stream `source` from `encoding` into UTF-8 at `target`; a bad byte names its line."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    lines_before = 0
    first = True
    with source.open("rb") as reader, target.open("w", encoding=UTF8, newline="") as writer:
        while chunk := reader.read(_CHUNK_BYTES):
            if first and chunk.startswith(_GB18030_BOM):
                chunk = chunk[len(_GB18030_BOM):]
            first = False
            try:
                writer.write(decoder.decode(chunk))
            except UnicodeDecodeError as error:
                line = lines_before + chunk[: error.start].count(b"\n") + 1
                raise InvalidInput(f"{source.name}: line {line}: bytes that are neither UTF-8 nor "
                                   f"{encoding.upper()} text") from None
            lines_before += chunk.count(b"\n")
        try:
            writer.write(decoder.decode(b"", final=True))
        except UnicodeDecodeError:
            raise InvalidInput(f"{source.name}: the file ends inside a character") from None


def decode_header(head: bytes, encoding: str, name: str) -> str:
    """The first line of the file as text (the header row)."""
    if encoding == GB18030 and head.startswith(_GB18030_BOM):
        head = head[len(_GB18030_BOM):]
    ends = [at for at in (head.find(b"\n"), head.find(b"\r")) if at >= 0]  # a lone CR ends a line too
    line = head[:min(ends)] if ends else head
    try:
        text = line.decode(encoding)
    except UnicodeDecodeError:
        raise InvalidInput(f"{name}: line 1: the header is not {encoding.upper()} text") from None
    return text.lstrip("\ufeff").rstrip("\r")
