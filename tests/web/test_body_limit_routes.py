"""Which limit a request's body gets: routes with path parameters and routes with their own cap."""

from __future__ import annotations

from starlette.types import Receive, Scope, Send

from recoup.web.limits import BodySizeLimit


def test_a_route_with_parameters_gets_its_limit_on_every_path_it_serves() -> None:
    limits = BodySizeLimit(_nothing, max_json_bytes=10, max_upload_bytes=1000,
                           upload_routes=frozenset({("POST", "/api/v1/cases/{case_id}/evidence")}),
                           route_limits={("POST", "/r/{token}"): 500})

    def limit(method: str, path: str) -> int:
        return limits.limit_for({"type": "http", "method": method, "path": path})

    assert limit("POST", "/api/v1/cases/RC-2026-000001/evidence") == 1000
    assert limit("GET", "/api/v1/cases/RC-2026-000001/evidence") == 10
    assert limit("POST", "/api/v1/cases/RC-2026-000001/x/evidence") == 10  # one segment, not several
    assert limit("POST", "/r/abcdef") == 500
    assert limit("POST", "/r/abcdef/more") == 10


async def _nothing(scope: Scope, receive: Receive, send: Send) -> None:
    """An app that is never called: the limits are asked directly."""
