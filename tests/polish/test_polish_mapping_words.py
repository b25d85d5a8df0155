"""The mapping page (a statement layout no profile fits) tells its problems in the page's language: the
fields by their words, not the profile's keys, and the reasons of the rejected lines too."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient
from tests.support.factories import World
from tests.support.web_login import log_in

from recoup.ingest.mapping_words import problem_words

HEADER = "记账日,商户编码,终端,MCC,日期,时间,类别,系统参考号,账号,金额(元),费用,币别"
LINES = [
    "2026-10-13,898301054111439,61027889,5411,20261012,081237,消费,148361841774,621661*********8652,69.00,0.26,CNY",
    "2026-10-13,898301054111439,61027889,5411,20261012,090117,退货,464696392975,621483******1944,abc,0.65,CNY",
]
FORM = {"name": "odd-bank", "unit": "yuan", "sign": "positive",
        **{f"map_{name}": "" for name in ("merchant_name", "stan", "net_amount", "order_no", "fee")},
        "map_settle_date": "0", "fmt_settle_date": "yyyy-MM-dd", "map_merchant_id": "1", "map_terminal_id": "2",
        "map_mcc": "3", "map_txn_time": "4", "time_txn_time": "5", "fmt_txn_time": "yyyyMMdd",
        "tfmt_txn_time": "HHmmss", "map_txn_type": "6", "map_rrn": "7", "map_card": "8", "map_amount": "9",
        "map_currency": "11", "action": "preview"}


def _mapping_page(client: TestClient, locale: str) -> tuple[str, str]:
    csrf = log_in(client, "a-admin", locale=locale, page="/imports")
    body = "\n".join([HEADER, *LINES]) + "\n"
    upload = client.post("/imports/statement", data={"kind": "settlement", "csrf_token": csrf},
                         files={"file": ("odd.csv", body.encode())}, follow_redirects=True)
    assert upload.status_code == 200
    return csrf, f"/imports/statement/{upload.url.path.split('/')[3]}/mapping"


def _problem(page: str) -> str:
    return html.unescape(page.split('data-testid="mapping-problem">')[1].split("</p>")[0])


def test_the_chinese_page_names_the_problem_and_the_rejects_in_chinese(world: World, client: TestClient) -> None:
    csrf, url = _mapping_page(client, "zh_CN")
    missing = client.post(url, data={**FORM, "csrf_token": csrf, "map_rrn": ""})
    assert missing.status_code == 422
    assert _problem(missing.text) == "清算：以下必填字段还没有对应的列：参考号"
    wrong = client.post(url, data={**FORM, "csrf_token": csrf, "fmt_settle_date": "yyyy-qq-dd"})
    assert _problem(wrong.text).startswith("清算日期：'yyyy-qq-dd'：'q' 不是日期或时间的组成部分")
    rejected = client.post(url, data={**FORM, "csrf_token": csrf})
    assert rejected.status_code == 422
    assert _problem(rejected.text) == "odd.csv：用导入模板 odd-bank 读取时有 1 个无效值，未导入任何数据："
    rejects = html.unescape(rejected.text.split('data-testid="import-rejects"')[1].split("</table>")[0])
    assert "'abc' 不带小数，而第 2 行是 '69.00'" in rejects
    for english in ("required field", "columns.", "bad value", "decimals while"):
        assert english not in missing.text + wrong.text + rejected.text


def test_the_english_page_names_the_field_not_the_profile_key(world: World, client: TestClient) -> None:
    csrf, url = _mapping_page(client, "en")
    wrong = client.post(url, data={**FORM, "csrf_token": csrf, "fmt_settle_date": "yyyy-MM-dd-yyyy"})
    assert _problem(wrong.text) == "Settlement date: 'yyyy-MM-dd-yyyy' names a part twice"
    missing = client.post(url, data={**FORM, "csrf_token": csrf, "map_rrn": ""})
    assert _problem(missing.text) == "required field(s) of settlement mapped to nothing: rrn"


@pytest.mark.parametrize(("problem", "chinese"), [
    ("name: 2 to 40 lower-case letters, digits, - or _", "模板名称：2 到 40 个字符，只能是小写字母、数字、- 或 _"),
    ("类别: more than 40 different values; this column does not hold statuses",
     "“类别”列有超过 40 种不同的值，它不是状态列"),
    ("profile x-y: [columns]: required field(s) of journal mapped to nothing: rrn, amount",
     "终端流水：以下必填字段还没有对应的列：参考号、交易金额"),
])
def test_each_kind_of_problem_has_its_chinese_words(problem: str, chinese: str) -> None:
    assert problem_words("zh_CN", problem) == chinese
