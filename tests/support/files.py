"""Writing small text files for tests, one line per argument."""

from __future__ import annotations

from pathlib import Path


def write_lines(path: Path, *lines: str, encoding: str = "utf-8") -> Path:
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path
