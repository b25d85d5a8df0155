"""A scheduled report's e-mail names its merchant by name (its id in parentheses: names may repeat), in each
recipient's language, as the outbox holds it; the tenant's report says "all merchants" in their language."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from tests.support.factories import OBJECTS, World

from recoup.auth.models import User
from recoup.auth.roles import Role
from recoup.auth.service import add_user, principal_for
from recoup.config import Settings
from recoup.demo.loader import DEMO
from recoup.messaging.models import OutboxMessage
from recoup.reports.mailing import report_pass
from recoup.reports.schedule_rules import Frequency
from recoup.reports.schedules import set_schedule

NOW = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai: yesterday's daily report is due
MERCHANT_A = OBJECTS["A"][0]


def _subjects(world: World) -> list[str]:
    with world.database.unit_of_work() as session:
        return sorted(session.execute(select(OutboxMessage.subject)).scalars())


def test_the_subject_names_the_merchant_in_the_recipients_language(world: World, settings: Settings) -> None:
    with world.database.unit_of_work() as session:
        session.execute(update(User).where(User.username == "a-merchant_finance").values(email="zh@shop.test"))
        session.execute(update(User).where(User.username == "a-acquirer_ops").values(email="ops@bank.test",
                                                                                     locale="en"))
        add_user(session, DEMO, tenant=world.tenants["A"], username="a-finance-en", password="a-long-password-1",
                 role=Role.MERCHANT_FINANCE, merchant_ids=[MERCHANT_A], email="en@shop.test", locale="en")
        admin = principal_for(session, session.execute(select(User).where(User.username == "a-admin")).scalar_one(),
                              "test")
        set_schedule(session, admin, MERCHANT_A, Frequency.DAILY, (8, 0), None, NOW)
        set_schedule(session, admin, None, Frequency.DAILY, (8, 0), None, NOW)
    assert report_pass(world.database, NOW, settings).queued == 3
    subjects = _subjects(world)
    assert subjects == ["Recoup · Daily report · 2026-03-10 · All merchants",
                        f"Recoup · Daily report · 2026-03-10 · 商户A ({MERCHANT_A})",
                        f"Recoup · 日报 · 2026-03-10 · 商户A ({MERCHANT_A})"]
