"""Every entry of a case's timeline reads in the page's language: the engine's notes (written in English for
the API and the CLI) become Chinese on the Chinese page, codes become words, system actors are named; the
English page keeps the English sentences; what a person wrote stays as written."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.cases.test_case_world import overcharge_case
from tests.support.factories import World
from tests.support.web_login import log_in

from recoup.cases.models import Case
from recoup.cases.recording import add_event

AT = datetime(2026, 11, 20, 8, 40, tzinfo=UTC)
# (actor, event, note, data): what the engine writes (cases/bulk_opening.py, following.py, worker.py,
# recovery/*.py, messaging/*.py, evidence/service.py) and one note a person wrote.
ENTRIES: list[tuple[str, str, str, dict[str, object] | None]] = [
    ("demo-loader", "finding_joined", "MCC_MISMATCH 156642409977 (F-a302f6a7bcacd168)", None),
    ("worker", "amount_changed", "run 7: OVERCHARGE 400000000001: amount at stake 115200 -> 120000",
     {"run_id": 7, "at_stake_minor_before": 115200, "at_stake_minor_after": 120000}),
    ("worker", "escalated", "the MERCHANT deadline 2026-11-19 08:00 UTC passed", None),
    ("worker", "funds_arrived", "action 5 can now be performed", None),
    ("provider", "awaiting_settlements", "action 5 waits for coming settlements to cover it", None),
    ("a-merchant_finance", "message_queued", "apology (zh_CN) by email to p***@example.com", None),
    ("worker", "message_sent", "email p***@example.com: 关于您的付款", None),
    ("a-merchant_finance", "evidence_added", "小票.jpg (photo)", None),
    ("worker", "moved", "payment request sent to the payer", None),
    ("worker", "resolved_by_file", "resolved by a later file, run 8: REFUND 400000000002 of 2026-11-19 for 1152.00 "
     "(settlement line)", None),
    ("a-acquirer_ops", "dispute.opened", "UNIONPAY CHARGEBACK 4544: Goods or services not received",
     {"dispute": 1, "scheme": "UNIONPAY", "reason_code": "4544", "stage": "CHARGEBACK"}),
    ("a-merchant_finance", "note", "called the payer, no answer", None),
]
CHINESE = [
    ("演示数据导入", "跳码(MCC不符) 156642409977"),
    ("系统后台任务", "涉及金额 ¥1,152.00 → ¥1,200.00（对账运行 7）"),
    ("系统后台任务", "阶段的期限（2026-11-19 08:00 UTC）已过"),
    ("系统后台任务", "追款措施 5 现在可以执行"),
    ("支付服务商", "追款措施 5 等待后续清算款项覆盖"),
    ("a-merchant_finance", "（简体中文），经"),
    ("系统后台任务", "关于您的付款"),
    ("a-merchant_finance", "小票.jpg (照片)"),
    ("系统后台任务", "已向付款人发送付款请求"),
    ("系统后台任务", "由后续文件确认已解决（对账运行 8）：2026-11-19 的退货 400000000002"),
    ("a-acquirer_ops", "银联 退单 4544"),
    ("a-merchant_finance", "called the payer, no answer"),
]


def _rows(page: str) -> list[tuple[str, str]]:
    """(who, note) of each timeline row, oldest first, as a person reads them."""
    table = page.split('data-testid="timeline"')[1].split("</table>")[0]
    rows = []
    for row in table.split("<tr>")[2:]:
        cells = [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell))).strip()
                 for cell in row.split("<td")[1:]]
        rows.append((cells[1].split(">", 1)[-1].strip(), cells[4].split(">", 1)[-1].strip()))
    return rows


def _case_with_entries(world: World) -> str:
    number = overcharge_case(world)
    with world.database.unit_of_work() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        for minute, (actor, event, note, data) in enumerate(ENTRIES, start=1):
            add_event(session, case, actor, event, note, data=data, now=AT.replace(minute=minute))
    return number


def test_the_chinese_timeline_has_no_english_sentence_of_the_engine(world: World, client: TestClient) -> None:
    number = _case_with_entries(world)
    log_in(client, "a-merchant_finance", locale="zh_CN")
    rows = _rows(client.get(f"/cases/{number}").text)[1:]  # after "opened"
    assert len(rows) == len(ENTRIES)
    for (who, note), (said_by, words) in zip(rows, CHINESE, strict=True):
        assert who == said_by
        assert words in note, (note, words)
    for who, note in rows[:-1]:  # the person's own note stays English, as written
        english = re.findall(r"\b[A-Za-z]{4,}\b", re.sub(r"\S+@\S+", "", note))
        assert english == [], (who, note)


def test_the_english_timeline_keeps_the_sentences_and_names_the_codes(world: World, client: TestClient) -> None:
    number = _case_with_entries(world)
    log_in(client, "a-merchant_finance", locale="en")
    rows = dict(enumerate(_rows(client.get(f"/cases/{number}").text)[1:]))
    assert rows[0] == ("Demo data loader", "Wrong merchant category (MCC) 156642409977 (F-a302f6a7bcacd168)")
    assert rows[1][0] == "Background worker"
    assert rows[1][1] == "Amount at stake ¥1,152.00 → ¥1,200.00 (reconciliation run 7)"
    assert rows[3][1] == "action 5 can now be performed"
    assert rows[7][1] == "小票.jpg (Photo)"
    assert rows[10][1] == "UnionPay Chargeback 4544: Goods or services not received"
