"""Dispute notices from a scheme portal's CSV: open or advance, idempotent, all or nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from tests.cases.test_case_world import add_sale
from tests.disputes.dispute_world import NOW, SALE_RRN, ops, sale_case
from tests.support.factories import World

from recoup.cases.models import Case
from recoup.disputes.models import Dispute
from recoup.disputes.notices import BrokenNotices, import_notices
from recoup.errors import RecoupError

HEADER = "scheme,reference,rrn,reason_code,amount,stage,received_on,due_on\n"


def _import(world: World, text: str, tenant: str = "A") -> dict[str, object]:
    with world.database.unit_of_work() as session:
        return import_notices(session, ops(world, tenant), text.encode(), NOW).as_dict()


def _disputes(world: World) -> list[tuple[str, str, date, int]]:
    with world.database.unit_of_work() as session:
        rows = session.execute(select(Dispute).order_by(Dispute.id)).scalars()
        return [(d.reference, d.stage, d.due_on, d.debited_minor) for d in rows]


def test_a_notice_opens_or_advances_the_dispute_and_importing_it_again_changes_nothing(world: World) -> None:
    sale_case(world)
    with world.database.unit_of_work() as session:  # a sale with no case yet: the notice opens one
        add_sale(session, world.tenants["A"].id, "610000000002", 20000)
    text = (HEADER + f"UnionPay,CB-9,{SALE_RRN},4507,1280.00,retrieval,2026-10-16,\n"
            f"unionpay,CB-9,{SALE_RRN},4507,1280.00,chargeback,2026-10-17,2026-11-10\n"
            "visa,V-1,610000000002,12.5,200.00,chargeback,2026-10-16,\n")
    first = _import(world, text)
    assert (len(first["opened"]), len(first["advanced"])) == (2, 1)  # type: ignore[arg-type]
    assert len(first["cases_opened"]) == 1  # type: ignore[arg-type]
    expected = [("CB-9", "CHARGEBACK", date(2026, 11, 10), 128000), ("V-1", "CHARGEBACK", date(2026, 11, 15), 20000)]
    assert _disputes(world) == expected
    again = _import(world, text)
    assert (again["opened"], again["advanced"], len(again["unchanged"])) == ([], [], 3)  # type: ignore[arg-type]
    assert _disputes(world) == expected


def test_broken_notice_files_name_each_line_and_change_nothing(world: World) -> None:
    sale_case(world)
    with world.database.unit_of_work() as session:
        add_sale(session, world.tenants["B"].id, "620000000001", 5000, merchant_id="898791054111008",
                 terminal_id="61051646")
    text = (HEADER + f"unionpay,OK-1,{SALE_RRN},4507,10.00,chargeback,2026-10-16,\n"
            "unionpay,BAD-1,610000000009,9999,10.00,chargeback,2026-10-16,\n"
            "unionpay,BAD-2,999999999999,4507,10.00,chargeback,2026-10-16,\n"
            "unionpay,BAD-3,620000000001,4507,10.00,chargeback,2026-10-16,\n"
            "amex,BAD-4,610000000001,4507,10.00,chargeback,2026-10-16,\n"
            "unionpay,BAD-5,610000000009,4507,ten,chargeback,2026-10-16,\n"
            "unionpay,BAD-6,610000000001,4507,10.00,chargeback,16/10/2026,\n")
    with pytest.raises(BrokenNotices) as refused:
        _import(world, text)
    assert refused.value.message.startswith("1 broken line(s)")  # the date is refused before anything is tried
    assert "line 8: received_on is a date YYYY-MM-DD" in refused.value.message
    with pytest.raises(BrokenNotices) as refused:
        _import(world, text.rsplit("unionpay,BAD-6", 1)[0])
    lines = {item["line"]: item["reason"] for item in refused.value.detail}  # type: ignore[attr-defined]
    assert sorted(lines) == [3, 4, 5, 6, 7]
    assert "unknown unionpay reason code '9999'" in lines[3]
    assert "no transaction with RRN 999999999999" in lines[4]
    assert "no transaction with RRN 620000000001" in lines[5]  # tenant B's sale
    assert "unknown card scheme 'amex'" in lines[6]
    assert "not an amount" in lines[7]
    with world.database.unit_of_work() as session:
        assert session.execute(select(func.count()).select_from(Dispute)).scalar_one() == 0
        assert session.execute(select(func.count()).select_from(Case)).scalar_one() == 1
    with pytest.raises(RecoupError, match="header lacks"):
        _import(world, "scheme,reference\nvisa,1\n")
