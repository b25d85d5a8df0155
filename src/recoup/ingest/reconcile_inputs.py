"""Statement files for `recoup reconcile` (file mode): each read through its profile into the native layout.

    with native_inputs({"orders": (orders, None), "journal": (journal, "pos-journal"),
                        "settlement": (settlement, None)}) as inputs:
        for note in inputs.notes:
            typer.echo(note, err=True)
        summary = inputs.run(lambda: reconcile_files(inputs.path("orders"), inputs.path("journal"),
                                                     inputs.path("settlement"), merchants, out, card_key=key))

A file already in the native layout is passed as it is; a named profile (shipped, or a profile TOML
file's path) is used as told; otherwise the profile is detected from the header. A refusal by the
reconciler's own loader is re-worded with the line and column of the original file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

from recoup.errors import InvalidInput
from recoup.ingest.detect import detect
from recoup.ingest.profile import Profile, parse_profile
from recoup.ingest.shipped import shipped_profiles
from recoup.ingest.translate import Translation, translate
from recoup.scratch import scratch_folder
from recoup.transactions.rejects import Reject

T = TypeVar("T")
_LINE = re.compile(r"line (\d+), column (\S+):")


def profile_named(name: str, extra: Mapping[str, Profile] | None = None) -> Profile:
    """A shipped profile (or one of `extra`) by name, or a profile TOML file by its path."""
    known = {**shipped_profiles(), **(extra or {})}
    if name in known:
        return known[name]
    path = Path(name)
    if path.suffix == ".toml" and path.is_file():
        return parse_profile(path.read_text(encoding="utf-8"), path.name)
    raise InvalidInput(f"no profile named {name!r}; known: {', '.join(sorted(known))}")


def native_input(path: Path, kind: str, profile_name: str | None, folder: Path,
                 extra: Mapping[str, Profile] | None = None) -> tuple[Path, str, Translation | None]:
    """(the native-layout file, a note saying how it was read, the translation if one was made)."""
    if profile_name:
        profile: Profile | None = profile_named(profile_name, extra)
        note = f"{path.name}: read with profile {profile_name}"
    else:
        detection = detect(path, kind, {**shipped_profiles(), **(extra or {})}.values())
        profile, note = detection.profile, detection.note
    if profile is None:
        return path, note, None
    if profile.kind != kind:
        raise InvalidInput(f"profile {profile.name} reads {profile.kind} files, not {kind}")
    target = folder / f"{kind}.csv"
    return target, note, translate(path, profile, target)


@dataclass
class NativeInputs:
    paths: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    translations: dict[str, Translation] = field(default_factory=dict)  # native file name -> translation

    def path(self, kind: str) -> Path:
        return self.paths[kind]

    def run(self, work: Callable[[], T]) -> T:
        """Run `work`; a refusal naming lines of a translated file is re-worded with the original lines."""
        try:
            return work()
        except InvalidInput as error:
            raise self.reworded(error) from None

    def reworded(self, error: InvalidInput) -> InvalidInput:
        for kind, translation in self.translations.items():
            if f"{kind}.csv" not in error.message:
                continue
            message = _LINE.sub(partial(_original, translation), error.message)
            detail = error.detail
            if isinstance(detail, list):
                detail = [translation.remap(item) if isinstance(item, Reject) else item for item in detail]
            return InvalidInput(message.replace(f"{kind}.csv", translation.profile.name + " file"), detail=detail)
        return error


def _original(translation: Translation, found: re.Match[str]) -> str:
    line = translation.original_line(int(found.group(1)))
    column = translation.labels.get(found.group(2), found.group(2))
    return f"line {line}, column {column}:"


@contextmanager
def native_inputs(files: Mapping[str, tuple[Path, str | None]],
                  extra: Mapping[str, Profile] | None = None) -> Iterator[NativeInputs]:
    """Each kind's file in the native layout, in a private folder removed when the block ends."""
    with scratch_folder("profiles") as scratch:
        inputs = NativeInputs()
        for kind, (path, profile_name) in files.items():
            native, note, translation = native_input(path, kind, profile_name, Path(scratch), extra)
            inputs.paths[kind] = native
            inputs.notes.append(note)
            if translation is not None:
                inputs.translations[kind] = translation
        yield inputs
