"""FastAPI's per-parameter introspection answered from a cache (web/param_cache.py): the same answers as FastAPI's
own functions for every parameter of the app, each worked out once, and requests that read them unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import fastapi.dependencies.utils as fastapi_utils
import pytest
from fastapi import FastAPI, Query
from fastapi.routing import APIRoute, _IncludedRouter
from fastapi.testclient import TestClient

from recoup.web import param_cache


@pytest.fixture(scope="module")
def app(unopened_app: FastAPI) -> FastAPI:
    return unopened_app  # create_app installs the caches: no test here installs them itself


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        candidates = route.effective_candidates() if isinstance(route, _IncludedRouter) else [route]
        for candidate in candidates:
            if isinstance(candidate, _IncludedRouter):
                yield from _api_routes([candidate])
            elif isinstance(getattr(candidate, "original_route", candidate), APIRoute):
                yield getattr(candidate, "original_route", candidate)


def _parameter_fields(app: FastAPI) -> list[Any]:
    fields = []
    for route in _api_routes(app.router.routes):
        fields += fastapi_utils.get_flat_params(route.dependant)
    return fields


def test_the_app_asks_fastapi_through_the_caches(app: FastAPI) -> None:
    for name in (*param_cache.BY_FIELD, *param_cache.BY_ANNOTATION):
        assert getattr(fastapi_utils, name) is not param_cache.original(name), name


def test_every_parameter_of_the_app_gets_fastapis_own_answers(app: FastAPI) -> None:
    fields = _parameter_fields(app)
    assert len(fields) > 200
    assert any(fastapi_utils.field_annotation_is_sequence(f.field_info.annotation) for f in fields)  # list params
    for field in fields:
        for name in ("_get_param_model", "_is_json_field"):
            assert getattr(fastapi_utils, name)(field) == param_cache.original(name)(field), (name, field.name)
        for convert in (False, True):
            assert (fastapi_utils._get_param_aliases(field, convert_underscores=convert)
                    == param_cache.original("_get_param_aliases")(field, convert_underscores=convert))
        annotation = field.field_info.annotation
        assert (fastapi_utils.field_annotation_is_sequence(annotation)
                == param_cache.original("field_annotation_is_sequence")(annotation)), field.name


def _counting(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Calls to FastAPI's own functions from now on, by name."""
    calls = dict.fromkeys((*param_cache.BY_FIELD, *param_cache.BY_ANNOTATION), 0)
    for name in calls:
        own = param_cache.original(name)

        def counted(*args: Any, _own: Any = own, _name: str = name, **options: Any) -> Any:
            calls[_name] += 1
            return _own(*args, **options)

        monkeypatch.setitem(param_cache._installed, name, counted)
    return calls


@pytest.mark.usefixtures("app")  # create_app installed the caches
def test_a_route_asks_fastapi_about_its_parameters_on_its_first_request_only(monkeypatch: pytest.MonkeyPatch) -> None:
    echo_app = FastAPI()

    @echo_app.get("/echo")
    def echo(tags: Annotated[list[str] | None, Query()] = None, limit: int = 10,
             word: Annotated[str | None, Query(alias="w")] = None) -> dict[str, object]:
        return {"tags": tags, "limit": limit, "word": word}

    calls = _counting(monkeypatch)
    client = TestClient(echo_app)
    first = client.get("/echo", params=[("tags", "a"), ("tags", "b"), ("limit", "3"), ("w", "hi")])
    asked_first = sum(calls.values())
    second = client.get("/echo", params=[("tags", "c"), ("w", "yo")])
    assert first.json() == {"tags": ["a", "b"], "limit": 3, "word": "hi"}
    assert second.json() == {"tags": ["c"], "limit": 10, "word": "yo"}
    assert asked_first > 0
    assert sum(calls.values()) == asked_first  # the second request was answered from the caches
    assert client.get("/echo", params={"limit": "many"}).status_code == 422  # validation is FastAPI's still
