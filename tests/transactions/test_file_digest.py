"""The file's SHA-256 made in a thread while the import goes on: the same digest as hashing it in one go."""

from __future__ import annotations

import hashlib
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.transactions import file_digest
from recoup.transactions.file_digest import FileDigest


@settings(max_examples=40, deadline=None)
@given(content=st.binary(max_size=5000), block=st.sampled_from([1, 7, 64, 4096]))
def test_the_digest_is_the_sha256_of_the_whole_file(content: bytes, block: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "journal.csv"
        path.write_bytes(content)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(file_digest, "BLOCK", block)  # many blocks, and a last one cut short
            with FileDigest(path) as digest:
                assert digest.hexdigest() == hashlib.sha256(content).hexdigest()
                assert digest.hexdigest() == hashlib.sha256(content).hexdigest()  # asked again: the same


def test_a_file_that_cannot_be_read_is_reported_when_the_digest_is_asked_for(tmp_path: Path) -> None:
    with FileDigest(tmp_path / "gone.csv") as digest, pytest.raises(FileNotFoundError):
        digest.hexdigest()


def test_a_stopped_digest_gives_no_digest_and_leaving_the_block_ends_the_thread(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 100_000)
    stop = threading.Event()
    stop.set()
    assert file_digest.content_sha256(path, stop) == ""  # no digest that could be mistaken for the file's
    with FileDigest(path) as digest:
        pass
    assert not digest._thread.is_alive()  # stopped (or done) and joined, whichever came first
