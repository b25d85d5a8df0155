"""The finance dashboard on a phone (390 px wide, Chromium): the queue reads as cards, nothing wider than the
screen, no policy violation or script error; in Chinese, the merchant by name and the kind in words."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.support.factories import World
from tests.web.conftest import browser, live_url  # noqa: F401 (fixtures)
from tests.web.test_csp_pages import Watched
from tests.workplace.workplace_data import add_case, username

from recoup.auth.roles import Role

# Deadlines far in the past and the future: overdue and later whatever the day the test runs.
LONG_AGO = datetime(2020, 1, 6, 2, 0, tzinfo=UTC)
FAR_AHEAD = datetime(2099, 1, 5, 2, 0, tzinfo=UTC)


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_queue_fits_a_phone(live_url: str, browser: object, world: World, tmp_path: Path) -> None:  # noqa: F811
    with world.database.unit_of_work() as session:
        overdue = add_case(session, world, deadline=LONG_AGO, at_stake_minor=212000).number
        later = add_case(session, world, deadline=FAR_AHEAD, kind="DUPLICATE_CHARGE").number
    watched = Watched(browser)
    try:
        page = watched.page
        page.set_viewport_size({"width": 390, "height": 844})
        watched.log_in(live_url, username(Role.MERCHANT_FINANCE))
        row = page.locator("[data-testid=queue-overdue] [data-testid=queue-row]")
        assert row.count() == 1
        assert row.locator("a").inner_text() == overdue
        text = row.inner_text()
        assert "商户A" in text
        assert "多收" in text
        assert "¥2,120.00" in text
        assert "2020-01-06 10:00 (UTC+8)" in text
        assert page.locator("[data-testid=queue-later]").inner_text().count(later) == 1
        box = row.bounding_box()
        assert box is not None
        assert box["width"] <= 390
        assert box["height"] > 100  # a card: one field a line, each with its label
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(tmp_path / "dashboard-finance-390.png"), full_page=True)
        assert watched.violations() == []
    finally:
        watched.page.close()
