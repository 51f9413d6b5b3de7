"""Journey: a holder requests a pledge loan, a bank officer approves, registers and disburses it,
and the holder sees the loan."""

from __future__ import annotations

from marketplace.dates import business_today

from ..conftest import PASSWORD
from ..finance_helpers import PDF
from .conftest import screenshot, sign_in, sign_out


def test_pledge_loan_from_request_to_disbursement(page, live_server, live_make, tmp_path):
    live_make.rng.seed("journey-pledge")  # the live database is shared: USCCs must not repeat other journeys'
    holder = live_make.user(kind="enterprise", is_sme=True, email="holder-pledge@example.cn")
    bank = live_make.user(kind="bank", email="officer-pledge@example.cn")
    patent = live_make.patent(holder.organization, claims_count=9, title="一种基于图神经网络的风控方法")
    bank_name, patent_title = bank.organization.name, patent.title
    base = live_server.url
    document = tmp_path / "财务报表.pdf"
    document.write_bytes(PDF)
    today = business_today().isoformat()

    # 1. The holder asks for a loan against its patent, sending it to one bank with a document.
    sign_in(page, base, holder.email, PASSWORD)
    page.get_by_test_id("nav-main").get_by_role("link", name="质押融资").click()
    page.get_by_role("link", name="申请质押融资").click()
    page.get_by_label(patent_title, exact=False).check()
    page.get_by_label("拟融资金额（元）").fill("3000000")
    page.get_by_label("期限（月）").fill("12")
    page.get_by_label("资金用途").fill("购置生产设备")
    page.get_by_label(bank_name).check()
    page.get_by_label("申请材料（PDF、JPEG、PNG，单个不超过 10 MB）").set_input_files(str(document))
    screenshot(page, "journey-pledge-1-request-form")
    page.get_by_role("button", name="提交申请").click()
    assert page.get_by_test_id("request-amount").inner_text() == "¥3,000,000.00"
    assert page.get_by_test_id("review-status").inner_text() == "已提交"
    screenshot(page, "journey-pledge-2-request-submitted")
    sign_out(page)

    # 2. The bank officer reviews, approves, registers the pledge and disburses.
    sign_in(page, base, bank.email, PASSWORD)
    page.get_by_test_id("nav-main").get_by_role("link", name="质押审批").click()
    screenshot(page, "journey-pledge-3-bank-queue")
    page.get_by_test_id("review-queue").locator("tbody a").first.click()
    assert "财务报表.pdf" in page.get_by_test_id("documents").inner_text()
    page.get_by_role("button", name="开始审查").click()
    page.get_by_label("批准金额（元）").fill("2500000")
    page.get_by_label("年利率（%）").fill("3.85")
    page.get_by_label("期限（月）").fill("12")
    screenshot(page, "journey-pledge-4-bank-review")
    page.get_by_role("button", name="批准", exact=True).click()
    assert page.get_by_test_id("review-status").first.inner_text() == "已批准"
    page.get_by_label("质押登记号").fill("Y2025350000888")
    page.get_by_label("登记日期").fill(today)
    page.get_by_role("button", name="登记质押").click()
    page.get_by_label("放款金额（元）").fill("2500000")
    page.get_by_label("放款日期").fill(today)
    page.get_by_role("button", name="登记放款").click()
    assert page.get_by_test_id("review-status").first.inner_text() == "已放款"
    screenshot(page, "journey-pledge-5-disbursed")
    sign_out(page)

    # 3. The holder sees the loan.
    sign_in(page, base, holder.email, PASSWORD)
    page.get_by_test_id("nav-main").get_by_role("link", name="质押融资").click()
    page.locator("table tbody a").first.click()
    answer = page.get_by_test_id("bank-answer")
    assert "已放款" in answer.inner_text() and "Y2025350000888" in answer.inner_text()
    assert page.get_by_test_id("disbursed-amount").inner_text() == "¥2,500,000.00"
    screenshot(page, "journey-pledge-6-holder-sees-loan")
