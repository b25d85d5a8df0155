"""The profiles that ship with Recoup (src/recoup/ingest/profiles/*.toml), read once."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from recoup.ingest.profile import Profile, parse_profile


@lru_cache(maxsize=1)
def shipped_profiles() -> dict[str, Profile]:
    folder = resources.files("recoup.ingest") / "profiles"
    found = {}
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".toml"):
            profile = parse_profile(entry.read_text(encoding="utf-8"), entry.name)
            found[profile.name] = profile
    return found
