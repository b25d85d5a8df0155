"""The chunk prefetcher of SQLite imports: order kept, errors raised in the caller, no hang on an early stop."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from recoup.transactions.loading import _prefetched


def _numbered(count: int, fail_at: int | None = None) -> Iterator[list[int]]:
    for index in range(count):
        if index == fail_at:
            raise RuntimeError(f"chunk {index} could not be read")
        yield [index]


def _take_until(chunks: Iterator[list[int]], seen: list[int], stop_at: int | None = None) -> None:
    """Use the chunks like the insert loop does, failing itself at `stop_at`."""
    for chunk in chunks:
        if chunk[0] == stop_at:
            raise ValueError("the insert failed")
        seen.append(chunk[0])


def test_chunks_arrive_whole_and_in_order() -> None:
    assert [chunk[0] for chunk in _prefetched(_numbered(50))] == list(range(50))


def test_an_error_while_fetching_is_raised_where_the_chunks_are_used() -> None:
    seen: list[int] = []
    with pytest.raises(RuntimeError, match="chunk 7 could not be read"):
        _take_until(_prefetched(_numbered(20, fail_at=7)), seen)
    assert seen == list(range(7))


def test_a_caller_stopping_early_leaves_no_fetcher_behind() -> None:
    before = {thread.ident for thread in threading.enumerate()}
    seen: list[int] = []
    chunks = _prefetched(_numbered(1000))
    with pytest.raises(ValueError, match="the insert failed"):
        _take_until(chunks, seen, stop_at=3)
    chunks.close()  # what leaving the insert loop does to the generator
    left = [thread for thread in threading.enumerate()
            if thread.ident not in before and thread.name == "recoup-prefetch"]
    assert seen == [0, 1, 2]
    assert left == []
