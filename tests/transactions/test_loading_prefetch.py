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


def test_chunks_arrive_whole_and_in_order() -> None:
    assert [chunk[0] for chunk in _prefetched(_numbered(50))] == list(range(50))


def test_an_error_while_fetching_is_raised_where_the_chunks_are_used() -> None:
    seen = []
    with pytest.raises(RuntimeError, match="chunk 7 could not be read"):
        for chunk in _prefetched(_numbered(20, fail_at=7)):
            seen.append(chunk[0])
    assert seen == list(range(7))


def test_a_caller_stopping_early_leaves_no_fetcher_behind() -> None:
    before = {thread.ident for thread in threading.enumerate()}
    with pytest.raises(ValueError):
        for chunk in _prefetched(_numbered(1000)):
            if chunk[0] == 3:
                raise ValueError("the insert failed")
    left = [thread for thread in threading.enumerate()
            if thread.ident not in before and thread.name == "recoup-prefetch"]
    assert left == []
