"""Value maps on the mapping page: the file's own types and statuses mapped onto Recoup's, proposed from the
known Chinese words, refused while a value of the file stays unmapped, saved in the profile. Both engines."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.ingest.test_web import log_in, settled
from tests.support.factories import World

from recoup.ingest.models import StatementProfile
from recoup.ingest.profile import parse_profile
from recoup.ingest.value_maps import chosen_values, column_words, known_value, unmapped_problem
from recoup.transactions.models import SettlementLine
from recoup.web.errors import page_message

HEADER = "记账日,商户编码,终端,MCC,日期,时间,类别,系统参考号,账号,金额(元),费用,币别"
LINES = [
    "2026-10-13,898301054111439,61027889,5411,20261012,081237,消费,148361841774,621661*********8652,69.00,0.26,CNY",
    "2026-10-13,898301054111439,61027889,5411,20261012,090117,退货,464696392975,621483******1944,172.00,0.65,CNY",
    "2026-10-13,898301054111439,61027889,5411,20261012,091502,调账,464696392976,621483******1944,12.00,0.00,CNY",
    "2026-10-13,898301054111439,61027889,5411,20261012,101502,消费,464696392977,621483******1944,8.00,0.03,CNY",
    "合计,4",
]
FORM = {"name": "adjusting-bank", "unit": "yuan", "sign": "positive",
        **{f"map_{name}": "" for name in ("merchant_name", "stan", "net_amount", "order_no", "fee")},
        "map_settle_date": "0", "fmt_settle_date": "yyyy-MM-dd", "map_merchant_id": "1", "map_terminal_id": "2",
        "map_mcc": "3", "map_txn_time": "4", "time_txn_time": "5", "fmt_txn_time": "yyyyMMdd",
        "tfmt_txn_time": "HHmmss", "map_txn_type": "6", "map_rrn": "7", "map_card": "8", "map_amount": "9",
        "map_currency": "11"}


def test_the_words_of_a_column_are_found_on_the_detail_lines_with_their_first_line(tmp_path: Path) -> None:
    statement = tmp_path / "s.csv"
    statement.write_text("\n".join(["对账单 2026-10-13", HEADER, *LINES]) + "\n", encoding="gb18030")
    words = column_words(statement, ",", "", 2, 12, {"txn_type": 6})["txn_type"]
    assert words.first_line == {"消费": 3, "退货": 4, "调账": 5}  # the short summary line is no detail line
    values = chosen_values("txn_type", words, {})
    assert values == {"消费": "SALE", "退货": "REFUND", "调账": ""}
    problem = unmapped_problem("txn_type", "类别", words, values)
    assert problem is not None
    assert "'调账' unmapped (first on line 5)" in problem
    assert "“类别”列的值映射未包含 '调账'（首次出现在第 5 行）" in page_message("zh_CN", problem)  # a Chinese page
    assert "类别" in problem
    chosen = chosen_values("txn_type", words, {"调账": "REFUND", "退货": "NOT_A_TYPE"})
    assert chosen == {"消费": "SALE", "退货": "", "调账": "REFUND"}  # a forged choice is no choice
    assert unmapped_problem("txn_type", "类别", words, {**chosen, "退货": "REFUND"}) is None


def test_known_words_are_proposed_for_types_and_statuses() -> None:
    assert [known_value("txn_type", w) for w in ("消费撤销", "冲正", "refund", "付款", "调账")] == \
        ["VOID", "REVERSAL", "REFUND", "SALE", ""]
    assert [known_value("status", w) for w in ("成功", "交易失败", "declined", "已冲正")] == \
        ["APPROVED", "FAILED", "DECLINED", ""]


def _upload(client: TestClient, csrf: str) -> str:
    body = "\n".join([HEADER, *LINES[:4]]) + "\n"
    upload = client.post("/imports/statement", data={"kind": "settlement", "csrf_token": csrf},
                         files={"file": ("adjusting.csv", body.encode())}, follow_redirects=True)
    assert upload.status_code == 200
    section = upload.text.split('data-testid="values-txn_type"')[1].split("</fieldset>")[0]
    assert "调账" in section
    assert "退货" in section
    rows = {row.split("<td>")[1].split("<")[0]: row for row in section.split("<tr")[2:]}
    assert 'value="REFUND" selected>Refund' in rows["退货"]  # proposed from the known word, translated
    assert "selected" not in rows["调账"]  # unknown: the user chooses
    return str(upload.url.path).split("/")[3]


def test_a_value_map_leaving_a_type_unmapped_is_refused_then_saved_and_imported(
        world: World, client: TestClient) -> None:
    csrf = log_in(client, "en")
    token = _upload(client, csrf)
    words = {"csrf_token": csrf, **FORM, "vword_txn_type_0": "消费", "vmap_txn_type_0": "SALE",
             "vword_txn_type_1": "退货", "vmap_txn_type_1": "REFUND", "vword_txn_type_2": "调账", "vmap_txn_type_2": ""}
    refused = client.post(f"/imports/statement/{token}/mapping", data={**words, "action": "save"})
    assert refused.status_code == 422
    problem = refused.text.split('data-testid="mapping-problem">')[1].split("</p>")[0]
    assert "leaves &#39;调账&#39; unmapped (first on line 4)" in problem
    with world.database.unit_of_work() as session:
        assert session.execute(select(StatementProfile)).first() is None
    words["vmap_txn_type_2"] = "REFUND"
    shown = client.post(f"/imports/statement/{token}/mapping", data={**words, "action": "preview"})
    assert shown.status_code == 200, shown.text
    preview = shown.text.split('data-testid="statement-preview"')[1]
    assert preview.count("Refund") == 2
    assert "464696392976" in preview
    saved = client.post(f"/imports/statement/{token}/mapping", data={**words, "action": "save"})
    assert "profile adjusting-bank saved for your tenant" in saved.text
    with world.database.unit_of_work() as session:
        body = session.execute(select(StatementProfile.body)).scalar_one()
    assert parse_profile(body).fields["txn_type"].values == {"消费": "SALE", "退货": "REFUND", "调账": "REFUND"}
    done = client.post(f"/imports/statement/{token}/import", data={"profile": "adjusting-bank", "csrf_token": csrf})
    assert 'data-testid="import-imported">4<' in done.text
    assert settled(world) == 4
    with world.database.unit_of_work() as session:
        kinds = dict(session.execute(select(SettlementLine.rrn, SettlementLine.txn_type)).all())
    assert str(kinds["464696392976"]) == "REFUND"
