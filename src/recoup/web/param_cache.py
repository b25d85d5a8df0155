"""FastAPI's answers about a request parameter, worked out once per parameter instead of on every request (issue
15, load).

For each query, header and cookie parameter of the route a request reaches, FastAPI 0.165 asks again on every
request whether the parameter is a model, which names it goes by, whether it holds JSON and whether its type is a
sequence: typing introspection whose answer cannot change while the route exists. A page of findings (20 query
parameters) spent about 1,150 of its 5,400 Python calls there (bench/serve_profile.py --calls). `install` wraps
those four functions of `fastapi.dependencies.utils` so that each answers from a cache keyed by the parameter's
field (held with it, so a field made after another is collected cannot take its answer) or by the type
annotation; everything else, including validation, stays FastAPI's. The functions are private: the pinned
version is the one tests/web/test_param_cache.py proves (same answers for every parameter of the app, asked
once; a renamed function fails `install`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import fastapi.dependencies.utils as fastapi_utils

BY_FIELD = ("_get_param_model", "_get_param_aliases", "_is_json_field")
BY_ANNOTATION = ("field_annotation_is_sequence",)
_installed: dict[str, Callable[..., Any]] = {}  # name -> FastAPI's own function


def _cached_by_field(name: str) -> Callable[..., Any]:
    answers: dict[tuple[int, tuple[tuple[str, Any], ...]], tuple[Any, Any]] = {}

    def cached(field: Any, **options: Any) -> Any:
        key = (id(field), tuple(sorted(options.items())))
        found = answers.get(key)
        if found is None or found[0] is not field:
            found = (field, _installed[name](field, **options))
            answers[key] = found
        return found[1]

    return cached


def _cached_by_annotation(name: str) -> Callable[[Any], Any]:
    remembered = functools.lru_cache(maxsize=4096)(lambda annotation: _installed[name](annotation))

    def cached(annotation: Any) -> Any:
        try:
            return remembered(annotation)
        except TypeError:  # an annotation that cannot be hashed (unhashable metadata): asked each time
            return _installed[name](annotation)

    return cached


def install() -> None:
    """Wrap FastAPI's per-parameter introspection with caches (once per process; later calls do nothing)."""
    if _installed:
        return
    for names, wrap in ((BY_FIELD, _cached_by_field), (BY_ANNOTATION, _cached_by_annotation)):
        for name in names:
            _installed[name] = getattr(fastapi_utils, name)  # AttributeError: FastAPI changed (module's words)
            setattr(fastapi_utils, name, wrap(name))


def original(name: str) -> Callable[..., Any]:
    """FastAPI's own function behind an installed cache (tests compare their answers)."""
    return _installed[name]
