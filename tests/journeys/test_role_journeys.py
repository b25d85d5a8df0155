"""Issue 12, "How it is checked": one Chromium journey per role on the demo data (SQLite), each walking that
role's job end to end in Chinese, then its key steps again in English after the menu's language switch. Every
step keeps a screenshot (under $RECOUP_ARTEFACTS/journeys/<role>, else the test's tmp dir). On the way nothing
may go wrong that a person would notice: no console or script error, no 4xx/5xx answer but the refusal a
journey provokes on purpose, no app code (OVERCHARGE, ACTION_PENDING...) shown on a Chinese page.

The journeys change data, so they run on a copy of the demo of their own; ids are found through the pages or
read from the demo's database (they change when the demo does), and the finance journey imports files it
writes itself, so it does not depend on the demo's randomness."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.journeys.support_journey import CASE_NUMBER, Journey, artefact_dir, serve_own_demo
from tests.journeys.support_steps import (
    add_note,
    balances,
    import_on_page,
    minor,
    reconcile_from_page,
    work_escalated_case,
    write,
)
from tests.journeys.support_world import (
    Sale,
    dispute_due_in_two_days,
    escalate,
    journal_file,
    open_cases_at_merchant,
    orders_file,
    settlement_file,
    shop_of,
    something_to_read,
)
from tests.web.vendor.demo_site import (
    DemoSite,
)

# One worker walks the journeys over one demo (make test sends a module to one worker: --dist loadfile): one demo load.
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    with serve_own_demo(tmp_path_factory.getbasetemp()) as served:
        yield served




@pytest.fixture
def journey(request: pytest.FixtureRequest, site: DemoSite, chromium: Any, tmp_path: Path) -> Iterator[Journey]:
    role = request.node.name.removeprefix("test_").split("_")[0]
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    walk = Journey(context.new_page(), site.url, artefact_dir(tmp_path, role))
    yield walk
    context.close()


def test_cashier_stops_a_terminal_and_reports_a_mischarge(journey: Journey, site: DemoSite) -> None:
    j = journey
    j.log_in("cashier")
    j.step("dashboard")
    rows = j.page.locator("[data-testid=work-terminals] [data-testid=terminal-row] a[href^='/terminals/']")
    assert rows.count() >= 1, "the cashier's dashboard lists the shop's terminals"
    terminal = str(rows.last.inner_text()).strip()
    rows.last.click()
    j.page.wait_for_url(f"**/terminals/{terminal}")
    assert j.text("[data-testid=terminal-status]") == "正常"

    # No reason: the browser does not send the form; the terminal keeps running.
    j.page.click("[data-testid=stop-terminal]")
    assert j.page.eval_on_selector("[data-testid=stop-reason-input]", "e => e.validity.valueMissing")
    questions: list[str] = []

    def answer(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.dismiss() if len(questions) == 1 else dialog.accept()

    j.page.on("dialog", answer)
    j.page.fill("[data-testid=stop-reason-input]", "顾客说应付212元却被扣了2120元")
    j.page.click("[data-testid=stop-terminal]")  # the confirmation: the cashier changes their mind
    assert j.text("[data-testid=terminal-status]") == "正常"
    j.submit("[data-testid=stop-terminal]")
    assert terminal in questions[0]
    assert "停用" in questions[0]
    assert j.text("[data-testid=stopped-by]") == "cashier"
    assert "(UTC+8)" in j.text("[data-testid=stopped-at]")
    assert j.text("[data-testid=stop-reason]") == "顾客说应付212元却被扣了2120元"
    assert j.page.locator("[data-testid=restart-form]").count() == 0  # the cashier may not restart it
    j.step("terminal-stopped")

    # The dashboard's button to report a suspected mis-charge.
    j.go("/")
    j.page.click("[data-testid=work-report]")
    j.page.wait_for_url("**/complaints/new")
    j.step("report-form")
    j.page.fill("input[name=amount]", "2,120.00")
    j.page.fill("input[name=when]", "2026-11-20T16:40")
    j.page.fill("input[name=last4]", "0218")
    j.page.fill("input[name=terminal_id]", terminal)
    j.page.fill("textarea[name=description]", "顾客说应付212元，终端扣了2120元。")
    j.submit("[data-testid=file-provider-complaint]")
    assert "/complaints/" in j.page.url
    facts = j.text("[data-testid=complaint-facts]")
    assert "¥2,120.00" in facts, facts  # the amount the cashier typed as a person writes it
    assert "0218" in facts, facts
    j.step("report-filed")

    # Again in English: the stopped terminal says who, when and why.
    j.go(f"/terminals/{terminal}")
    j.english()
    assert "Stopped" in j.text("[data-testid=terminal-status]")
    assert j.text("[data-testid=stopped-by]") == "cashier"
    assert "(UTC+8)" in j.text("[data-testid=stopped-at]")
    j.step("terminal-stopped-en", chinese=False)
    j.go("/")
    assert j.page.locator("[data-testid=work-report]").is_visible()
    j.step("dashboard-en", chinese=False)
    j.finish()


def test_finance_finds_the_sale_refunds_and_sees_the_money_arrive(journey: Journey, site: DemoSite,
                                                                   tmp_path: Path) -> None:
    j = journey
    shop = shop_of(site.database, "finance")
    sale = Sale(shop, shop.terminals[0], date(2026, 11, 20))
    j.log_in("finance")
    j.step("dashboard")

    # The day's files, imported on the page, then reconciled from the import's outcome.
    j.page.click("header nav a[href='/imports']")
    j.page.wait_for_url("**/imports")
    import_on_page(j, "orders", write(tmp_path, "orders.csv", orders_file(sale)))
    import_on_page(j, "journal", write(tmp_path, "journal.csv", journal_file(sale)))
    import_on_page(j, "settlement", write(tmp_path, "settlement.csv", settlement_file(sale)))
    j.step("imported")
    reconcile_from_page(j)
    assert "多收" in j.text("[data-testid=reconcile-new-findings]")
    j.step("reconciled")

    # "Charged 2,120 instead of 212 on the 20th, card ending 0218": found from the last four, amount and day.
    j.page.click("header nav a[href='/transactions']")
    j.page.fill("[data-testid=search-last4]", "0218")
    j.page.fill("[data-testid=search-amount]", "2,120.00")
    j.page.fill("[data-testid=search-from]", "2026-11-20")
    j.page.fill("[data-testid=search-to]", "2026-11-20")
    j.submit("[data-testid=search-submit]")
    rows = j.page.locator("[data-testid=search-results] tbody tr")
    assert rows.count() == 1, j.text("[data-testid=search-results]")
    assert sale.rrn in str(rows.first.inner_text())
    j.step("found")
    with j.page.expect_navigation():
        rows.first.locator("a").first.click()
    assert "多收" in j.text("[data-testid=finding-kind]")
    assert j.text("[data-testid=finding-stake]") == "¥1,908.00"
    case_link = j.page.locator("[data-testid=case-link]")
    assert case_link.count() == 1
    number = str(case_link.inner_text()).strip()
    assert CASE_NUMBER.fullmatch(number)
    j.step("transaction")

    # The case: the refund is pre-filled with what was charged too much; it goes out; what happens next.
    j.submit("[data-testid=case-link]")
    assert j.page.locator("[data-testid=action-amount]").input_value() == "1908.00"
    assert j.text("[data-testid=at-stake]") == "¥1,908.00"
    j.step("case")
    j.submit("[data-testid=perform-action]")
    said = j.text("[data-testid=done-message]")
    assert "结算文件" in said, said  # what happens next: the money is seen when the settlement file shows it
    cells = j.page.locator("[data-testid=actions] tbody tr").first.locator("td").all_inner_texts()
    assert cells[1:4] == ["退货", "¥1,908.00", "已指示"], cells
    balance = balances(j)  # the balance check: the takings cover the refund, now owed to the cardholder
    assert balance["应付持卡人"] == "¥1,908.00", balance
    assert minor(balance["可用"]) >= 190_800, balance
    j.step("refunded")

    # The settlement with the refund line: the money arrived, the case is resolved.
    j.page.click("header nav a[href='/imports']")
    j.page.wait_for_url("**/imports")
    import_on_page(j, "settlement", write(tmp_path, "refund.csv", settlement_file(sale, refund=True)))
    reconcile_from_page(j)
    j.step("refund-reconciled")
    j.go(f"/cases/{number}")
    assert j.text("[data-testid=case-state]") == "已解决"
    assert j.text("[data-testid=recovered]") == "¥1,908.00"
    assert balances(j)["应付持卡人"] == "¥0.00"  # paid: the settlement showed the refund
    assert "settlement:" in j.text("[data-testid=actions]")  # confirmed by the settlement line
    j.step("case-resolved")

    # The ledger page, linked from the case: the refund's hold and its release, its postings with the case.
    j.page.click("[data-testid=ledger-link]")
    j.page.wait_for_url(f"**/ledger/{shop.merchant_id}*")
    postings = j.text("[data-testid=postings]")
    assert number in postings, postings[:2000]
    assert "¥1,908.00" in postings, postings[:2000]
    holds = j.text("[data-testid=holds]")  # the refund's amount was held, then released when paid out
    assert number in holds, holds
    assert "¥1,908.00" in holds, holds
    j.step("ledger")

    # Again in English: the case, the search by partial facts, the ledger.
    j.go(f"/cases/{number}")
    j.english()
    assert j.text("[data-testid=case-state]") == "Resolved"
    assert j.text("[data-testid=recovered]") == "¥1,908.00"
    assert "Overcharge" in j.text("[data-testid=case-kind]")
    j.step("case-en", chinese=False)
    j.go("/transactions?last4=0218&amount=2120&from=2026-11-20&to=2026-11-20")
    assert j.page.locator("[data-testid=search-results] tbody tr").count() == 1
    j.step("found-en", chinese=False)
    j.go(f"/ledger/{shop.merchant_id}")
    assert number in j.text("[data-testid=postings]")
    j.step("ledger-en", chinese=False)
    j.finish()


def test_support_works_its_escalated_queue(journey: Journey, site: DemoSite) -> None:
    j = journey
    number = open_cases_at_merchant(site.database, shop_of(site.database, "finance").merchant_id)[0]
    escalate(site.database, "finance", number, "商户无法自行解决")
    j.log_in("support")
    work_escalated_case(j, number)
    assert j.text("[data-testid=case-state]") != ""
    rung_before = j.page.locator(".tile .num").nth(2).inner_text()
    add_note(j, "已联系终端厂商核查冲正报文")
    j.step("note-added")
    j.page.fill("form[action$='/escalate'] input[name=reason]", "需要收单机构调取清算记录")
    j.submit("form[action$='/escalate'] button[type=submit]")
    assert j.page.locator(".tile .num").nth(2).inner_text() != rung_before
    assert j.page.locator("[data-testid=done-message]").is_visible()  # it worked, and the new owner is shown
    assert "收单" in j.page.locator(".tile .num").nth(2).inner_text()
    j.step("escalated")
    j.english()
    assert "Acquirer" in j.page.locator(".tile .num").nth(2).inner_text()
    assert "已联系终端厂商核查冲正报文" in j.text("[data-testid=timeline]")
    j.step("case-en", chinese=False)
    j.finish()


def test_acquirer_works_its_queue_and_sees_disputes_due(journey: Journey, site: DemoSite) -> None:
    j = journey
    cases = open_cases_at_merchant(site.database, shop_of(site.database, "finance").merchant_id)
    number, disputed = cases[1], cases[2]
    escalate(site.database, "finance", number, "商户无法自行解决")
    escalate(site.database, "support", number, "需要收单机构处理")
    dispute = dispute_due_in_two_days(site.database, disputed)
    j.log_in("acquirer")
    assert j.text("[data-testid=tile-disputes] .num") != "0"
    due = j.text("[data-testid=work-disputes]")
    assert f"#{dispute}" in due, due
    assert disputed in due, due
    work_escalated_case(j, number)
    add_note(j, "已核实清算记录，商户同意退款")
    j.submit("[data-testid=perform-action]")  # the refund, pre-filled with the amount at stake
    assert "已指示" in j.text("[data-testid=actions]")
    j.page.select_option("form[action$='/move'] select[name=state]", "RESOLVED")
    j.page.fill("form[action$='/move'] input[name=reason]", "已退款给持卡人")
    j.submit("[data-testid=move-case]")
    assert j.text("[data-testid=case-state]") == "已解决"
    j.step("resolved")
    j.english()
    assert j.text("[data-testid=case-state]") == "Resolved"
    j.step("case-en", chinese=False)
    j.go("/")
    assert f"#{dispute}" in j.text("[data-testid=work-disputes]")
    j.step("dashboard-en", chinese=False)
    j.finish()


AUDITOR_DETAILS = {"case": r"/cases/RC-\d{4}-\d+", "transaction": r"/transactions/\d+",
                   "terminal": r"/terminals/\d+", "dispute": r"/disputes/\d+", "complaint": r"/complaints/\d+"}


def test_auditor_reads_everything_and_sees_no_forms(journey: Journey, site: DemoSite) -> None:
    j = journey
    something_to_read(site.database, site.settings)
    j.log_in("auditor")
    menu = j.page.eval_on_selector_all("header nav a[href^='/']", "links => links.map(a => a.getAttribute('href'))")
    assert len(menu) >= 6, menu
    pages = [*dict.fromkeys(str(href) for href in menu), "/ledger/" + shop_of(site.database, "finance").merchant_id]
    details: dict[str, str] = {}  # one page of each kind of detail, found on the pages walked
    refusals: dict[str, list[str]] = {}
    while pages:
        path = pages.pop(0)
        j.go(path)
        forms = j.post_forms()
        if forms:
            refusals[path] = forms
        j.step(path.strip("/").replace("/", "-") or "dashboard")
        for href in j.page.eval_on_selector_all("main a[href^='/']", "links => links.map(a => a.getAttribute('href'))"):
            kind = next((k for k, pattern in AUDITOR_DETAILS.items() if re.fullmatch(pattern, str(href))), None)
            if kind and kind not in details:
                details[kind] = str(href)
                pages.append(str(href))
    assert sorted(details) == sorted(AUDITOR_DETAILS), details
    assert refusals == {}, f"the auditor is shown forms it cannot use: {refusals}"
    case = details["case"]

    # The one refusal provoked on purpose: the administration, typed in the address bar, says why in Chinese.
    j.expected.append((403, "/admin"))
    j.go("/admin")
    assert j.page.locator("header nav a[href='/cases']").is_visible()  # the menu stays
    assert "权限" in j.text("main") or "无权" in j.text("main"), j.text("main")
    j.step("admin-refused")

    j.go(str(case))
    j.english()
    assert j.post_forms() == []
    j.step("case-en", chinese=False)
    j.go("/cases")
    assert j.post_forms() == []
    j.step("cases-en", chinese=False)
    j.finish()


def test_admin_manages_users_terminals_ladder_qr_and_webhooks(journey: Journey, site: DemoSite) -> None:
    j = journey
    shop = shop_of(site.database, "finance")
    j.log_in("admin")
    j.page.click("header nav a[href='/admin']")
    j.step("admin")

    # A user: added, then disabled.
    j.page.click("[data-testid=admin-users]")
    j.page.click("[data-testid=add-user]")
    j.page.fill("#f-username", "cashier2")
    j.page.select_option("#f-role", "cashier")
    j.page.check(f"input[name=merchant_ids][value='{shop.merchant_id}']")
    j.page.fill("#f-password", "a-long-password")
    j.submit("[data-testid=save-user]")
    assert "cashier2" in j.text("[data-testid=done]")
    assert "收银员" in j.text("[data-testid=users]")
    j.step("user-added")
    j.go("/admin/users/cashier2")
    j.submit("[data-testid=disable-user]")
    assert j.text("[data-testid=user-status]") == "已停用"
    j.step("user-disabled")

    # A terminal of the merchant.
    j.go("/admin/merchants")
    j.page.click("[data-testid=add-terminal]")
    j.page.fill("#f-terminal_id", "69990218")
    j.page.select_option("#f-merchant_id", shop.merchant_id)
    j.page.fill("#f-model", "PAX A920")
    j.page.fill("#f-location", "二楼收银台")
    j.submit("[data-testid=save-terminal]")
    assert "69990218" in j.text("[data-testid=done]")
    j.step("terminal-added")

    # Ladder deadlines: the provider's support gets one more day.
    j.go("/admin/ladder")
    days = j.page.locator("#f-days_PROVIDER_SUPPORT")
    longer = str(int(days.input_value() or "0") + 1)
    days.fill(longer)
    j.submit("[data-testid=save-ladder]")
    assert j.page.locator("#f-days_PROVIDER_SUPPORT").input_value() == longer
    assert j.page.locator("[data-testid=done]").is_visible()
    j.step("ladder-saved")

    # The QR account: UnionPay's tag, then back to the default.
    j.go("/admin/qr-account")
    j.page.fill("#f-tag", "15")
    j.page.fill("#f-gui", "")
    j.submit("[data-testid=save-qr]")
    assert "15" in j.text("[data-testid=qr-in-use]")
    j.step("qr-saved")

    # A webhook: added (its secret shown once), then disabled.
    j.go("/admin/webhooks")
    j.page.fill("#f-url", "https://example.com/recoup-events")
    j.submit("[data-testid=add-webhook]")
    assert j.page.locator("[data-testid=webhook-secret] code").inner_text().strip() != ""
    j.step("webhook-added")
    disable = j.page.locator("[data-testid^=disable-webhook-]").last
    j.submit(f"[data-testid={disable.get_attribute('data-testid')}]")
    assert "已停用" in j.text("[data-testid=webhooks]")
    j.step("webhook-disabled")

    # Again in English: the users and the webhooks.
    j.go("/admin/users")
    j.english()
    assert "Cashier" in j.text("[data-testid=users]")
    assert "Disabled" in j.text("[data-testid=users]")
    j.step("users-en", chinese=False)
    j.go("/admin/webhooks")
    assert "Disabled" in j.text("[data-testid=webhooks]")
    j.step("webhooks-en", chinese=False)
    j.finish()
