"""In a browser: a statement of a layout no profile fits gets a mapping, previewed, saved, then imported."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.factories import PASSWORD
from tests.web.conftest import browser, live_url  # noqa: F401  (the browser fixtures of tests/web)

pytestmark = pytest.mark.browser
ODD = ["记账日,商户编码,终端,MCC,日期,时间,类别,编号,账号,金额(元),费用,币别",
       "2026-10-13,898301054111439,61027889,5411,20261012,081237,消费,148361841774,621661*********8652,69.00,0.26,CNY",
       "2026-10-13,898301054111439,61027889,5411,20261012,090117,退货,464696392975,621483******1944,172.00,0.65,CNY",
       "2026-10-13,898301054111439,61027889,5411,20261012,093004,调账,464696392976,621483******1944,12.00,0.05,CNY"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_profile_is_built_on_the_upload_page_and_imports(live_url: str, browser: object,  # noqa: F811
                                                           tmp_path: Path) -> None:
    statement = tmp_path / "odd.csv"
    statement.write_text("\n".join(ODD) + "\n", encoding="utf-8")
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{live_url}/login")
    page.fill("input[name=username]", "a-admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_url}/")
    page.goto(f"{live_url}/imports")
    page.select_option("[data-testid=statement-kind]", "settlement")
    page.set_input_files("[data-testid=statement-file]", str(statement))
    page.click("[data-testid=statement-submit]")
    page.wait_for_selector("[data-testid=mapping-form]")
    assert page.input_value("[data-testid=time-txn_time]") == "5"  # 日期 + 时间 proposed as the time
    assert page.input_value("[data-testid=map-amount]") == "9"
    assert page.input_value("[data-testid=map-rrn]") == "7"  # 编号: by its 12-character values
    page.select_option("[data-testid=map-amount]", "")  # a wrong correction: the page says what is missing
    page.fill("[data-testid=profile-name]", "odd-bank")
    page.click("[data-testid=mapping-preview]")
    assert "交易金额" in page.inner_text("[data-testid=mapping-problem]")  # the field in words, in Chinese
    page.select_option("[data-testid=map-amount]", "9")
    assert page.input_value("[data-testid=vmap-txn_type-1]") == "REFUND"  # 退货: a word Recoup knows
    assert page.input_value("[data-testid=vmap-txn_type-2]") == ""  # 调账: the file's own word
    page.click("[data-testid=mapping-save]")  # refused: a value of the file is unmapped
    assert "'调账'（首次出现在第 4 行）" in page.inner_text("[data-testid=mapping-problem]")  # in Chinese
    assert "退货" in page.inner_text("[data-testid=values-txn_type]")
    page.select_option("[data-testid=vmap-txn_type-2]", "REFUND")
    page.click("[data-testid=mapping-preview]")
    assert "464696392976" in page.inner_text("[data-testid=statement-preview]")
    page.click("[data-testid=mapping-save]")
    assert "odd-bank" in page.inner_text("[data-testid=detected-profile]")
    page.click("[data-testid=statement-import]")
    page.wait_for_selector("[data-testid=import-imported]")
    assert page.inner_text("[data-testid=import-imported]") == "3"
    page.close()
