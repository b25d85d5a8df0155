"""The payer's public status page shows its times in the merchant's zone and names it: the UTC offset beside
each time and the zone under the dates; a merchant without a zone: Settings.default_timezone."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy import update
from tests.complaints.complaint_world import MERCHANT_A, file_complaint
from tests.support.factories import World

from recoup.config import Settings
from recoup.merchants.models import Merchant


def _filed_and_zone(page: str) -> tuple[str, str]:
    filed = re.search(r"<dd>([^<]*)</dd>", page)
    zone = re.search(r'data-testid="status-zone">([^<]*)<', page)
    assert filed is not None
    assert zone is not None
    return filed.group(1), html.unescape(zone.group(1))


def test_the_filed_time_is_the_merchants_local_time_with_its_zone(client: TestClient, world: World,
                                                                   settings: Settings) -> None:
    code = file_complaint(world, settings).tracking_code  # 2026-11-03 08:00 UTC
    assert _filed_and_zone(client.get(f"/c/status/{code}").text) == ("2026-11-03 16:00 (UTC+8)",
                                                                       "时间为 Asia/Shanghai 时区。")
    with world.database.unit_of_work() as session:
        session.execute(update(Merchant).where(Merchant.merchant_id == MERCHANT_A).values(timezone="America/New_York"))
    english = client.get(f"/c/status/{code}?lang=en").text
    assert _filed_and_zone(english) == ("2026-11-03 03:00 (UTC-5)", "Times in America/New_York.")
