"""Time zones of merchants: which keep one UTC offset (so local times need no calendar lookups)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Years over which a zone must keep one offset to count as fixed: wide enough for any transaction
# data, recent enough that old rules (China's DST until 1991) do not count.
_FIRST_YEAR, _LAST_YEAR = 1995, 2100


@lru_cache(maxsize=256)
def fixed_offset_minutes(zone: str) -> int | None:
    """The zone's UTC offset in minutes when it never changes over the years that matter, else None."""
    try:
        info = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    offsets: set[timedelta | None] = set()
    moment = datetime(_FIRST_YEAR, 1, 1, tzinfo=UTC)
    end = datetime(_LAST_YEAR, 1, 1, tzinfo=UTC)
    while moment < end and len(offsets) < 2:
        offset = moment.astimezone(info).utcoffset()
        offsets.add(offset)
        moment += timedelta(days=30)
    if len(offsets) != 1:
        return None
    (offset,) = offsets
    return int(offset.total_seconds() // 60) if offset is not None else None
