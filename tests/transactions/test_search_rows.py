"""recoup.transactions.service.search_rows: a page (the API's) is read at once, a search without a limit (the
CLI's export) is streamed; both hold the same rows in the same order."""

from __future__ import annotations

import psycopg
from sqlalchemy import event, select
from tests.support.factories import World
from tests.transactions.test_search_options import ADMIN, loaded

from recoup.auth.models import User
from recoup.auth.service import principal_for
from recoup.transactions.search import build_filters
from recoup.transactions.service import search_rows

__all__ = ["loaded"]  # the fixture: three journal lines of tenant A


def test_a_page_holds_what_the_stream_holds_and_opens_no_server_cursor(loaded: World) -> None:
    server_cursors: list[object] = []

    def seen(_connection: object, cursor: object, *_: object) -> None:
        if isinstance(cursor, psycopg.ServerCursor):
            server_cursors.append(cursor)

    with loaded.database.unit_of_work(reads_first=True) as session:
        user = session.execute(select(User).where(User.username == ADMIN)).scalar_one()
        principal = principal_for(session, user, "api")
        filters = build_filters({}, default_timezone="Asia/Shanghai")
        streamed = list(search_rows(session, principal, filters, newest_first=True))
        assert [row["rrn"] for row in streamed] == ["000000000003", "000000000002", "000000000001"]
        event.listen(loaded.database.engine, "before_cursor_execute", seen)
        try:
            for limit, offset in ((1, 0), (2, 1), (21, 0), (5, 3)):
                page = list(search_rows(session, principal, filters, limit=limit, offset=offset, newest_first=True))
                assert page == streamed[offset:offset + limit], (limit, offset)
        finally:
            event.remove(loaded.database.engine, "before_cursor_execute", seen)
    assert server_cursors == []
