"""Card numbers typed into forms, API bodies and commands never reach the database or a log (SPEC 9)."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, select, text
from tests.support.factories import OBJECTS, World, token_for

from recoup.auth.models import User
from recoup.auth.principal import Principal
from recoup.auth.service import principal_for
from recoup.keys.ring import KeyRing
from recoup.logs import CardNumberFilter
from recoup.migrations.metadata import all_metadata
from recoup.webhooks.service import add_endpoint

PAN = "4111111111111111"
# A SHA-256 in hex whose first sixteen characters happen to be a Luhn-valid card number (about one
# digest or MAC in a hundred holds such a run somewhere).
DIGEST_WITH_A_CARD_RUN = PAN + "ab" * 24
LUHN_VALID_MERCHANT = "898521055417299"  # a UnionPay merchant id (15 digits) that passes the Luhn check
LUHN_VALID_ORDER = "G202609018386806870"
SPELLINGS = ("4111 1111 1111 1111", "4111-1111-1111-1111", PAN)


def principal_of(world: World, username: str) -> Principal:
    with world.database.unit_of_work() as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one()
        return principal_for(session, user, "test")


def _everything_stored(world: World) -> str:
    """Every value of every table, as text, with separators removed (a PAN written '4111 1111 …' counts)."""
    tables: MetaData = all_metadata()
    parts = []
    with world.database.unit_of_work() as session:
        for table in tables.sorted_tables:
            for row in session.execute(select(table)):
                parts.extend(str(value) for value in row)
    return re.sub(r"[ -]", "", " ".join(parts))


def test_card_numbers_typed_anywhere_are_masked_before_storage(client: TestClient, world: World) -> None:
    headers = {"Authorization": f"Bearer {token_for(world.database, 'a-admin')}"}
    merchant, terminal = OBJECTS["A"]
    with world.database.unit_of_work() as session:  # webhook events copy the case as it is changed
        add_endpoint(session, principal_of(world, "a-admin"), "http://127.0.0.1:9/hooks", "whsec_0123456789abcdef",
                     keys=KeyRing.from_texts({"data": "test-data-key"}))
    opened = client.post("/api/v1/cases", headers=headers,
                         json={"merchant_id": merchant, "amount": "10.00", "summary": f"card {SPELLINGS[0]} charged"})
    assert opened.status_code == 201, opened.text
    number = opened.json()["number"]
    assert client.post(f"/api/v1/cases/{number}/notes", headers=headers,
                       json={"text": f"payer read out {SPELLINGS[1]}"}).status_code == 200
    assert client.post("/api/v1/cases/RC-2026-999999/notes", headers=headers,
                       json={"text": f"refused, still {PAN}"}).status_code == 404
    assert client.post(f"/api/v1/terminals/{terminal}/stop", headers=headers,
                       json={"reason": f"charged {PAN} twice"}).status_code == 200
    shown = client.get(f"/api/v1/cases/{number}", headers=headers).text
    assert PAN not in re.sub(r"[ -]", "", shown)
    assert "411111******1111" in shown  # the masked form stays readable for the people on the case
    with world.database.unit_of_work() as session:
        assert session.execute(text("SELECT count(*) FROM webhook_events")).scalar_one() >= 1
    assert PAN not in _everything_stored(world)


def test_the_audit_trail_still_verifies_after_masking(client: TestClient, world: World) -> None:
    from recoup.audit.service import verify

    headers = {"Authorization": f"Bearer {token_for(world.database, 'a-admin')}"}
    client.post("/api/v1/cases/RC-2026-999999/notes", headers=headers, json={"text": PAN})
    with world.database.unit_of_work() as session:
        assert verify(session)[1] is None
        assert session.execute(text("SELECT count(*) FROM audit_entries")).scalar_one() > 0


def test_identifiers_and_digests_in_a_webhook_payload_are_kept_as_stored_and_free_text_beside_them_masked(
        world: World) -> None:
    from recoup.webhooks.models import WebhookEvent
    from recoup.webhooks.service import emit

    data: dict[str, object] = {"sha256": DIGEST_WITH_A_CARD_RUN, "name": f"receipt {PAN}.pdf",
                               "checkpoint": {"hash": DIGEST_WITH_A_CARD_RUN, "mac": DIGEST_WITH_A_CARD_RUN},
                               "case": {"merchant_id": LUHN_VALID_MERCHANT, "order_no": LUHN_VALID_ORDER},
                               "note": f"{DIGEST_WITH_A_CARD_RUN} {LUHN_VALID_MERCHANT}",
                               "mac": f"{PAN}"}  # not a digest's shape: masked even under a digest's key
    with world.database.unit_of_work() as session:
        event_id = emit(session, world.tenants["A"].id, "case.updated", data).id
    with world.database.unit_of_work() as session:
        stored = session.get(WebhookEvent, event_id)
        assert stored is not None
        payload = stored.payload
    sent = payload["data"]
    assert payload["id"] == event_id
    assert sent["sha256"] == DIGEST_WITH_A_CARD_RUN  # a receiver checks the file against it
    assert sent["checkpoint"] == {"hash": DIGEST_WITH_A_CARD_RUN, "mac": DIGEST_WITH_A_CARD_RUN}
    assert sent["case"] == {"merchant_id": LUHN_VALID_MERCHANT, "order_no": LUHN_VALID_ORDER}  # as stored
    assert sent["name"] == "receipt 411111******1111.pdf"
    assert sent["note"] == "411111******1111" + DIGEST_WITH_A_CARD_RUN[16:] + " 898521*****7299"
    assert sent["mac"] == "411111******1111"


def test_an_event_id_holding_a_card_like_run_is_kept() -> None:
    from recoup.free_text import masked_value

    event_id = "evt_" + PAN + "abcdef01"
    assert masked_value({"id": event_id, "text": event_id}) == {"id": event_id, "text": "evt_411111******1111abcdef01"}


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_log_records_are_masked(spelling: str, caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("recoup.test-cards")
    logger.addFilter(CardNumberFilter())
    with caplog.at_level(logging.INFO, logger="recoup.test-cards"):
        logger.info('"GET /transactions?q=%s HTTP/1.1" 200', spelling)
    assert PAN not in re.sub(r"[ -]", "", caplog.text)
    assert "411111******1111" in caplog.text
