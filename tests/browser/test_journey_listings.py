"""Journey: a university's tech-transfer officer registers a patent through the form, publishes an open
licence on it, and a visitor who is not signed in sees it with its terms."""

from __future__ import annotations

from ..conftest import PASSWORD
from .conftest import screenshot, sign_in, sign_out


def test_register_patent_publish_open_licence_and_see_it_public(page, live_server, live_make):
    officer = live_make.user(kind="university", name="闽江旅程大学", email="tto-journey@example.cn")
    base = live_server.url
    sign_in(page, base, officer.email, PASSWORD)

    # 1. Add a patent; a wrong check digit is explained beside the field and the rest is kept.
    page.get_by_test_id("nav-main").get_by_role("link", name="我的专利").click()
    page.get_by_role("link", name="登记专利").click()
    page.get_by_label("申请号").fill("CN202211740332.5")
    page.get_by_label("专利名称").fill("一种基于注意力机制的茶叶病害图像识别方法")
    page.get_by_label("摘要").fill("本发明公开了一种茶叶病害图像识别方法，提高了复杂光照下的识别准确率。")
    page.get_by_label("IPC 分类号").fill("G06V 10/82\nG06N3/08")
    page.get_by_label("申请人（专利权人）").fill("闽江旅程大学")
    page.get_by_label("申请日").fill("2022-12-30")
    page.get_by_label("授权日").fill("2024-06-18")
    page.get_by_role("button", name="保存").click()
    assert page.get_by_text("申请号校验位错误").is_visible()
    assert page.get_by_label("专利名称").input_value() == "一种基于注意力机制的茶叶病害图像识别方法"
    screenshot(page, "journey-listings-1-patent-error")
    page.get_by_label("申请号").fill("CN202211740332.4")
    page.get_by_role("button", name="保存").click()
    assert page.get_by_test_id("patent-number").inner_text() == "CN202211740332.4"
    assert "2042年12月29日" in page.get_by_test_id("patent-expiry").inner_text()
    screenshot(page, "journey-listings-2-patent")

    # 2. Offer it on an open licence, from the patent page: the form comes with the patent chosen.
    page.get_by_role("button", name="挂牌").click()
    page.get_by_role("link", name="开放许可").click()
    assert page.get_by_test_id("form-kind").inner_text() == "开放许可"
    page.get_by_label("所属产业").select_option("ai")
    page.get_by_label("支付方式").select_option("lump_sum")
    assert page.get_by_label("提成比例（%）").is_hidden()  # the little script hides what lump sums don't use
    page.get_by_label("使用费（元）").fill("80000")
    page.get_by_label("中小微企业优惠（%）").fill("50")
    page.get_by_label("许可截止日").fill("2045-12-31")  # past the patent's expiry: refused
    page.get_by_role("button", name="保存草稿").click()
    assert page.get_by_text("许可期限不能超过专利 CN202211740332.4 的届满日").is_visible()
    assert page.get_by_label("使用费（元）").input_value() == "80000"
    screenshot(page, "journey-listings-3-term-error")
    page.get_by_label("许可截止日").fill("2030-12-31")
    page.get_by_role("button", name="保存草稿").click()
    assert page.get_by_test_id("listing-status").inner_text() == "草稿"
    page.get_by_test_id("owner-actions").get_by_role("link", name="发布").click()
    screenshot(page, "journey-listings-4-confirm")
    page.get_by_role("button", name="确认发布").click()
    assert page.get_by_text("挂牌已发布").is_visible()
    listing_url = page.url
    screenshot(page, "journey-listings-5-published")
    sign_out(page)

    # 3. A visitor finds it in the market and sees the terms and the patent.
    page.goto(base + "/listings")
    page.get_by_role("link", name="一种基于注意力机制的茶叶病害图像识别方法").first.click()
    assert page.url == listing_url
    assert page.get_by_test_id("listing-kind").inner_text() == "开放许可"
    terms = page.get_by_test_id("listing-terms").inner_text()
    assert "一次性支付" in terms and "¥80,000.00" in terms and "2030年12月31日" in terms and "50" in terms
    patent = page.get_by_test_id("listing-patent").inner_text()
    assert "CN202211740332.4" in patent and "G06V10/82" in patent and "2042年12月29日" in patent
    assert page.get_by_test_id("accept-open-licence").is_visible()
    screenshot(page, "journey-listings-6-public")
