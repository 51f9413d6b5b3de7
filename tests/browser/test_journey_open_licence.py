"""Journey: an SME finds an open licence, accepts it on the spot, and the holder sees the new
licence, its fee and recordation deadline, and records the payment."""

from __future__ import annotations

from decimal import Decimal

from marketplace.listings.models import ListingKind

from ..conftest import PASSWORD, Factory
from .conftest import screenshot, sign_in, sign_out


def test_sme_accepts_an_open_licence_and_the_holder_records_payment(page, live_server, live_make):
    live_make = Factory(rng_seed=5150)  # its own seed: USCCs must not repeat other journeys' in the live database
    holder = live_make.user(kind="university", email="tto-licence-journey@example.cn", name="闽江许可旅程大学")
    sme = live_make.user(kind="enterprise", is_sme=True, email="sme-journey@example.cn", name="福州旅程芯片有限公司")
    listing = live_make.listing(holder, kind=ListingKind.open_licence, title="开放许可：一种低功耗传感节点唤醒方法",
                                fee_amount=Decimal("60000"), sme_discount=Decimal("50"))
    base = live_server.url

    # 1. The SME opens the listing (the browse page belongs to the search work) and accepts.
    sign_in(page, base, sme.email, PASSWORD)
    page.goto(f"{base}/listings/{listing.id}")
    assert "¥30,000.00" in page.get_by_test_id("listing-deal-panel").inner_text()
    screenshot(page, "journey-open-licence-1-listing")
    page.get_by_test_id("accept-open-licence").click()

    # 2. The confirmation page: company details, the terms and the fee with the SME discount.
    assert sme.organization.uscc in page.get_by_test_id("company-details").inner_text()
    assert page.get_by_test_id("computed-fee").inner_text() == "¥30,000.00"
    assert "第五十一条" in page.get_by_label("书面通知").input_value()
    page.get_by_role("button", name="提交书面通知，取得许可").click()
    assert page.get_by_text("请勾选确认").is_visible()  # nothing submitted without the confirmation
    screenshot(page, "journey-open-licence-2-confirm-error")
    page.get_by_label("我已核对本企业信息").check()
    page.get_by_role("button", name="提交书面通知，取得许可").click()

    # 3. The licence exists at once: status, fee and the recordation advice (细则 §87 sets no deadline).
    assert page.get_by_test_id("deal-status").inner_text() == "已生效（待付款）"
    assert page.get_by_test_id("deal-amount").inner_text() == "¥30,000.00"
    assert "非法定期限" in page.get_by_test_id("recordation-advice").first.inner_text()
    deal_url = page.url
    screenshot(page, "journey-open-licence-3-licensee-deal")
    page.get_by_test_id("record-link").click()
    assert sme.organization.name in page.get_by_test_id("deal-record").inner_text()
    assert len(page.get_by_test_id("record-hash").inner_text()) == 64
    screenshot(page, "journey-open-licence-4-record")
    sign_out(page)

    # 4. The holder sees the new licence waiting on it, and records the payment.
    sign_in(page, base, holder.email, PASSWORD)
    page.get_by_test_id("nav-main").get_by_role("link", name="我的交易").click()
    row = page.get_by_test_id("deal-row").first
    assert "福州旅程芯片有限公司" in row.inner_text() and "待我方处理" in row.inner_text()
    screenshot(page, "journey-open-licence-5-holder-deals")
    row.get_by_role("link").first.click()
    assert page.url == deal_url
    payment = page.get_by_test_id("step-paid")
    assert payment.get_by_label("实收金额（元）").input_value() == "30000.00"
    payment.get_by_role("button", name="确认已收款").click()
    assert page.get_by_text("已登记收款").is_visible()
    assert page.get_by_test_id("deal-status").inner_text() == "已付款（待备案）"
    assert "¥30,000.00" in page.get_by_test_id("deal-paid").inner_text()
    assert page.get_by_test_id("step-recorded").is_visible()
    screenshot(page, "journey-open-licence-6-paid")
